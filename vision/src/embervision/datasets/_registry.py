"""Where every downloadable embervision dataset file lives: URLs, checksums, target paths.

Plain data, no heavy import: the ``ember.registry`` entry point (``entries``) lets ``ember-data``
list and fetch these datasets, and the dataset classes build the same records from their
(overridable) ``mirrors`` / ``resources`` attributes, so both paths lay files out exactly as
torchvision does under ``root``. The checksums are the md5s torchvision records.
"""

from __future__ import annotations

__all__ = ["entries", "idx_entry", "archive_entry", "files_entry", "MNIST_FAMILY", "EMNIST",
           "QMNIST", "CIFAR", "SVHN", "STL10", "FLOWERS102", "FOOD101", "OXFORD_IIIT_PET",
           "VOC"]

MNIST_FAMILY = {
    "MNIST": {
        "mirrors": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                    "http://yann.lecun.com/exdb/mnist/"],
        "resources": [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                      ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                      ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                      ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")],
        "licence": "CC BY-SA 3.0",
        "homepage": "http://yann.lecun.com/exdb/mnist/",
        "description": "MNIST handwritten digits, 60k train + 10k test, 28x28 grey",
    },
    "FashionMNIST": {
        "mirrors": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
        "resources": [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                      ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                      ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                      ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")],
        "licence": "MIT",
        "homepage": "https://github.com/zalandoresearch/fashion-mnist",
        "description": "Fashion-MNIST clothing images, 60k train + 10k test, 28x28 grey",
    },
    "KMNIST": {
        "mirrors": ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"],
        "resources": [("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
                      ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
                      ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
                      ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134")],
        "licence": "CC BY-SA 4.0",
        "homepage": "https://github.com/rois-codh/kmnist",
        "description": "Kuzushiji-MNIST cursive Japanese characters, 28x28 grey",
    },
}

EMNIST = {"url": "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip",
          "md5": "58c8d27c78d21e728a6bc7b3cc06412e"}

_QMNIST_BASE = "https://raw.githubusercontent.com/facebookresearch/qmnist/master/"
QMNIST = {
    "train": [(_QMNIST_BASE + "qmnist-train-images-idx3-ubyte.gz",
               "ed72d4157d28c017586c42bc6afe6370"),
              (_QMNIST_BASE + "qmnist-train-labels-idx2-int.gz",
               "0058f8dd561b90ffdd0f734c6a30e5e4")],
    "test": [(_QMNIST_BASE + "qmnist-test-images-idx3-ubyte.gz",
              "1394631089c404de565df7b7aeaf9412"),
             (_QMNIST_BASE + "qmnist-test-labels-idx2-int.gz",
              "5b5b05890a5e13444e108efe57b788aa")],
    "nist": [(_QMNIST_BASE + "xnist-images-idx3-ubyte.xz", "7f124b3b8ab81486c9d8c2749c17f834"),
             (_QMNIST_BASE + "xnist-labels-idx2-int.xz", "5ed0e788978e45d4a8bd4b7caec3d79d")],
}

CIFAR = {
    "CIFAR10": {"url": "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                "filename": "cifar-10-python.tar.gz", "md5": "c58f30108f718f92721af3b95e74349a"},
    "CIFAR100": {"url": "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
                 "filename": "cifar-100-python.tar.gz",
                 "md5": "eb9058c3a382ffc7106e4002c42a8d85"},
}

SVHN = {
    "train": ("http://ufldl.stanford.edu/housenumbers/train_32x32.mat", "train_32x32.mat",
              "e26dedcc434d2e4c54c9b2d4a06d8373"),
    "test": ("http://ufldl.stanford.edu/housenumbers/test_32x32.mat", "test_32x32.mat",
             "eb5a983be6a315427106f1b164d9cef3"),
    "extra": ("http://ufldl.stanford.edu/housenumbers/extra_32x32.mat", "extra_32x32.mat",
              "a93ce644f1a588dc4d68dda5feec44a7"),
}

STL10 = {"url": "http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz",
         "filename": "stl10_binary.tar.gz", "md5": "91f7769df0f17e558f3565bffb0c7dfb"}

FLOWERS102 = {"prefix": "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/",
              "files": {"image": ("102flowers.tgz", "52808999861908f626f3c1f4e79d11fa"),
                        "label": ("imagelabels.mat", "e0620be6f572b9609742df49c70aed4d"),
                        "setid": ("setid.mat", "a5357ecc9cb78c4bef273ce3793fc85c")}}

FOOD101 = {"url": "http://data.vision.ee.ethz.ch/cvl/food-101.tar.gz",
           "filename": "food-101.tar.gz", "md5": "85eeb15f3717b99a5da872d97d918f87"}

OXFORD_IIIT_PET = [
    ("https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz",
     "5c4f3ee8e5d25df40f4fd59a7f44e54c"),
    ("https://www.robots.ox.ac.uk/~vgg/data/pets/data/annotations.tar.gz",
     "95a8c909bbe2e81eed6a22bccdf3f68f"),
]

_VOC_HOSTS = ("https://thor.robots.ox.ac.uk/pascal/VOC/", "http://host.robots.ox.ac.uk/pascal/VOC/")


def _voc(year, filename, md5, base_dir):
    return {"urls": [f"{h}voc{year[:4]}/{filename}" for h in _VOC_HOSTS], "filename": filename,
            "md5": md5, "base_dir": base_dir}


# NOTE: torchvision names the 2008 archive "VOCtrainval_11-May-2012.tar" (a copy-paste slip that
# makes a 2008 download overwrite a 2012 one); the real name is used here
VOC = {
    "2012": _voc("2012", "VOCtrainval_11-May-2012.tar", "6cd6e144f989b92b3379bac3b3de84fd",
                 "VOCdevkit/VOC2012"),
    "2011": _voc("2011", "VOCtrainval_25-May-2011.tar", "6c3384ef61512963050cb5d687e5bf1e",
                 "TrainVal/VOCdevkit/VOC2011"),
    "2010": _voc("2010", "VOCtrainval_03-May-2010.tar", "da459979d0c395079b5c75ee67908abb",
                 "VOCdevkit/VOC2010"),
    "2009": _voc("2009", "VOCtrainval_11-May-2009.tar", "a3e00b113cfcfebf17e343f59da3caa1",
                 "VOCdevkit/VOC2009"),
    "2008": _voc("2008", "VOCtrainval_14-Jul-2008.tar", "2629fa636546599198acfcfbfcf1904a",
                 "VOCdevkit/VOC2008"),
    "2007": _voc("2007", "VOCtrainval_06-Nov-2007.tar", "c52e279531787c972589f7e41ab4ae64",
                 "VOCdevkit/VOC2007"),
    "2007-test": _voc("2007", "VOCtest_06-Nov-2007.tar", "b6e924de25625d8de591ea690078ad9f",
                      "VOCdevkit/VOC2007"),
}


def _entry(name, files, directory="", **info):
    return {"name": name, "kind": "dataset", "files": files, "directory": directory, **info}


def idx_entry(cls_name, mirrors, resources, **info):
    """Entry of an MNIST-like dataset: ``<Cls>/raw/<file>.gz``, decompressed beside itself."""
    files = [{"path": f"raw/{fname}", "urls": [m.rstrip("/") + "/" + fname for m in mirrors],
              "md5": md5, "extract_to": "raw",
              "splits": ("train",) if fname.startswith("train") else ("test",)}
             for fname, md5 in resources]
    return _entry(cls_name.lower(), files, cls_name, **info)


def archive_entry(name, urls, filename, md5, directory="", extract_to="", **info):
    """Entry of a dataset shipped as one archive, extracted into ``root/<directory>``."""
    urls = [urls] if isinstance(urls, str) else list(urls)
    return _entry(name, [{"path": filename, "urls": urls, "md5": md5,
                          "extract_to": extract_to}], directory, **info)


def files_entry(name, files, directory="", **info):
    """Entry from ``(path, urls, md5, extract_to, splits)`` tuples."""
    return _entry(name, [{"path": p, "urls": [u] if isinstance(u, str) else list(u), "md5": m,
                          "extract_to": x, "splits": tuple(s)} for p, u, m, x, s in files],
                  directory, **info)


def emnist_entry(url=EMNIST["url"], md5=EMNIST["md5"]):
    """EMNIST: ``EMNIST/raw/gzip.zip`` (the per-split ``.gz`` files are decompressed later)."""
    return _entry("emnist", [{"path": "raw/gzip.zip", "urls": [url], "md5": md5,
                              "extract_to": "raw"}], "EMNIST",
                  homepage="https://www.nist.gov/itl/products-and-services/emnist-dataset",
                  description="EMNIST letters and digits (6 splits), 28x28 grey")


def qmnist_entry(resources=None):
    """QMNIST: ``QMNIST/raw/<file>`` for the train, test and nist subsets."""
    resources = QMNIST if resources is None else resources
    files = [(f"raw/{url.rsplit('/', 1)[1]}", url, md5, "raw", (split,))
             for split, pairs in resources.items() for url, md5 in pairs]
    return files_entry("qmnist", files, "QMNIST",
                       homepage="https://github.com/facebookresearch/qmnist",
                       description="QMNIST: MNIST reconstructed with the NIST metadata")


def cifar_entry(cls_name, url, filename, md5):
    return archive_entry(cls_name.lower(), url, filename, md5,
                         homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
                         description=f"{cls_name}: 32x32 colour images (python pickles)")


def svhn_entry(split_list=None):
    split_list = SVHN if split_list is None else split_list
    files = [(fname, url, md5, None, (split,)) for split, (url, fname, md5) in split_list.items()]
    return files_entry("svhn", files, homepage="http://ufldl.stanford.edu/housenumbers/",
                       description="Street View House Numbers, 32x32 colour (.mat)")


def stl10_entry(url=STL10["url"], filename=STL10["filename"], md5=STL10["md5"]):
    return archive_entry("stl10", url, filename, md5,
                         homepage="https://cs.stanford.edu/~acoates/stl10/",
                         description="STL-10: 96x96 colour, 5k labelled + 100k unlabelled")


def flowers102_entry(prefix=FLOWERS102["prefix"], files=None):
    files = FLOWERS102["files"] if files is None else files
    rows = [(fname, prefix + fname, md5, "" if key == "image" else None, ())
            for key, (fname, md5) in files.items()]
    return files_entry("flowers102", rows, "flowers-102",
                       homepage="https://www.robots.ox.ac.uk/~vgg/data/flowers/102/",
                       description="Oxford 102 Flowers (jpg + .mat labels and splits)")


def food101_entry(url=FOOD101["url"], filename=FOOD101["filename"], md5=FOOD101["md5"]):
    return archive_entry("food101", url, filename, md5,
                         homepage="https://data.vision.ee.ethz.ch/cvl/datasets_extra/food-101/",
                         description="Food-101: 101k food photos in 101 classes")


def oxford_iiit_pet_entry(resources=None):
    resources = OXFORD_IIIT_PET if resources is None else resources
    rows = [(url.rsplit("/", 1)[1], url, md5, "", ()) for url, md5 in resources]
    return files_entry("oxford-iiit-pet", rows, "oxford-iiit-pet", licence="CC BY-SA 4.0",
                       homepage="https://www.robots.ox.ac.uk/~vgg/data/pets/",
                       description="Oxford-IIIT Pet: 37 breeds, labels and trimaps")


def voc_entry(key, spec=None):
    spec = VOC[key] if spec is None else spec
    return archive_entry(f"voc{key}", spec["urls"], spec["filename"], spec["md5"],
                         homepage="http://host.robots.ox.ac.uk/pascal/VOC/",
                         description=f"PASCAL VOC {key} (images, XML boxes, segmentation PNGs)")


def entries():
    """Every downloadable embervision dataset, as ``RegistryEntry`` field dicts.

    The ``ember.registry`` entry point of the embervision distribution.

    Example:
        >>> names = [e["name"] for e in entries()]
        >>> "mnist" in names and "cifar10" in names and "voc2012" in names
        True
    """
    out = [idx_entry(name, spec["mirrors"], spec["resources"], licence=spec["licence"],
                     homepage=spec["homepage"], description=spec["description"])
           for name, spec in MNIST_FAMILY.items()]
    out += [emnist_entry(), qmnist_entry()]
    out += [cifar_entry(name, **spec) for name, spec in CIFAR.items()]
    out += [svhn_entry(), stl10_entry(), flowers102_entry(), food101_entry(),
            oxford_iiit_pet_entry()]
    out += [voc_entry(key) for key in VOC]
    return out
