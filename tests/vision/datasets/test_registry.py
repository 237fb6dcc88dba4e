"""The ``ember.registry`` entries of embervision: valid, complete, and laid out like the classes."""

from __future__ import annotations

import numpy as np
import pytest

from ember.utils import _download_registry
from ember.utils import download as dl
from ember.utils._download_testing import write_registry_plugin
from embervision.datasets import CIFAR10, MNIST, SVHN, Flowers102, _registry

EXPECTED = {"mnist", "fashionmnist", "kmnist", "emnist", "qmnist", "cifar10", "cifar100",
            "svhn", "stl10", "flowers102", "food101", "oxford-iiit-pet", "voc2007",
            "voc2007-test", "voc2008", "voc2009", "voc2010", "voc2011", "voc2012"}


def test_every_entry_is_valid_and_checksummed():
    entries = [dl.RegistryEntry(**e) for e in _registry.entries()]
    names = [e.name for e in entries]
    assert set(names) == EXPECTED and len(names) == len(set(names))
    for e in entries:
        assert e.kind == "dataset" and e.homepage and e.description
        for f in e.files:
            assert f.md5 is not None and len(f.md5) == 32, (e.name, f.path)
            assert all(u.startswith(("http://", "https://")) for u in f.urls)


def test_entries_use_torchvision_paths_and_checksums():
    e = {x["name"]: dl.RegistryEntry(**x) for x in _registry.entries()}
    assert e["cifar10"].directory == "" and e["cifar10"].files[0].path == "cifar-10-python.tar.gz"
    assert e["cifar10"].files[0].md5 == "c58f30108f718f92721af3b95e74349a"
    assert e["svhn"].splits == ("extra", "test", "train")
    assert {f.path: f.md5 for f in e["svhn"].files}["test_32x32.mat"] == \
        "eb5a983be6a315427106f1b164d9cef3"
    assert e["flowers102"].directory == "flowers-102"
    assert {f.path: f.extract_to for f in e["flowers102"].files} == {
        "102flowers.tgz": "", "imagelabels.mat": None, "setid.mat": None}
    assert e["voc2012"].files[0].md5 == "6cd6e144f989b92b3379bac3b3de84fd"
    assert e["voc2008"].files[0].path == "VOCtrainval_14-Jul-2008.tar"
    assert e["oxford-iiit-pet"].directory == "oxford-iiit-pet"
    assert e["emnist"].files[0].path == "raw/gzip.zip" and e["emnist"].directory == "EMNIST"
    # the classes' defaults are the registry's
    assert MNIST.resources == _registry.MNIST_FAMILY["MNIST"]["resources"]
    assert SVHN.split_list["extra"][2] == "a93ce644f1a588dc4d68dda5feec44a7"
    assert Flowers102._file_dict["setid"][1] == "a5357ecc9cb78c4bef273ce3793fc85c"


def test_ember_data_path_lays_files_out_for_the_class(server, monkeypatch, fmt, tmp_path):
    """``ember-data download cifar10 --mirror URL`` fills the directory CIFAR10 reads."""
    monkeypatch.setattr(_download_registry, "_ENTRIES", {})
    monkeypatch.setattr(_download_registry, "_entry_points_loaded", True)
    rng = np.random.default_rng(0)
    batches = {n: fmt.py2_pickle({"data": rng.integers(0, 256, (2, 3072), dtype=np.uint8),
                                  "labels": [1, 2]})
               for n, _ in CIFAR10.train_list + CIFAR10.test_list}
    batches["batches.meta"] = fmt.py2_pickle({"label_names": [str(i) for i in range(10)]})
    tgz = fmt.tar({f"cifar-10-batches-py/{n}": b for n, b in batches.items()})
    server.files["mirror/cifar-10-python.tar.gz"] = tgz
    spec = next(e for e in _registry.entries() if e["name"] == "cifar10")
    spec["files"][0]["md5"] = fmt.md5(tgz)
    dl.register(dl.RegistryEntry(**spec))
    paths = dl.download_entry("cifar10", tmp_path, mirror=server.url("mirror"), progress=False)
    assert paths == [str(tmp_path / "cifar-10-python.tar.gz")]
    for attr in ("train_list", "test_list"):
        monkeypatch.setattr(CIFAR10, attr, [[n, fmt.md5(batches[n])]
                                            for n, _ in getattr(CIFAR10, attr)])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": fmt.md5(batches["batches.meta"])})
    assert len(CIFAR10(tmp_path)) == 10 and len(CIFAR10(tmp_path, train=False)) == 2
    assert dl.entry_status("cifar10", tmp_path) == "verified"


def test_entry_point_registers_every_dataset(monkeypatch, tmp_path):
    monkeypatch.setattr(_download_registry, "_ENTRIES", {})
    monkeypatch.setattr(_download_registry, "_entry_points_loaded", False)
    plugin = write_registry_plugin(tmp_path / "plugin", "vd_plugin_mod",
                                   "from embervision.datasets._registry import entries\n",
                                   name="embervision-test")
    monkeypatch.syspath_prepend(str(plugin))
    import importlib

    importlib.invalidate_caches()
    found = dl.registry("dataset")
    assert EXPECTED <= set(found)
    assert "entry point" in found["mnist"].source
    with pytest.raises(dl.UnknownEntryError, match="did you mean 'mnist'"):
        dl.get_entry("mnsit")
