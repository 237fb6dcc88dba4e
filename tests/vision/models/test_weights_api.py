"""Weights enums, the registry helpers, legacy ``pretrained=`` and loading through ember.hub."""

import hashlib
import re

import numpy as np
import pytest

import ember
import embervision.models as M
from embervision.models import segmentation
from embervision.models._api import Weights
from embervision.transforms._presets import ImageClassification, SemanticSegmentation

# facts of the published files (download.pytorch.org), spelled out
PUBLISHED = {
    "ResNet18_Weights.IMAGENET1K_V1": ("resnet18-f37072fd.pth", 11689512, 69.758, 224, 256),
    "ResNet50_Weights.IMAGENET1K_V1": ("resnet50-0676ba61.pth", 25557032, 76.13, 224, 256),
    "ResNet50_Weights.IMAGENET1K_V2": ("resnet50-11ad3fa6.pth", 25557032, 80.858, 224, 232),
    "VGG16_Weights.IMAGENET1K_V1": ("vgg16-397923af.pth", 138357544, 71.592, 224, 256),
    "AlexNet_Weights.IMAGENET1K_V1": ("alexnet-owt-7be5be79.pth", 61100840, 56.522, 224, 256),
    "MobileNet_V2_Weights.IMAGENET1K_V1": ("mobilenet_v2-b0353104.pth", 3504872, 71.878, 224,
                                           256),
    "MobileNet_V3_Large_Weights.IMAGENET1K_V2": ("mobilenet_v3_large-5c1a4163.pth", 5483032,
                                                 75.274, 224, 232),
    "DenseNet121_Weights.IMAGENET1K_V1": ("densenet121-a639ec97.pth", 7978856, 74.434, 224, 256),
    "ViT_B_16_Weights.IMAGENET1K_V1": ("vit_b_16-c867db91.pth", 86567656, 81.072, 224, 256),
    "ConvNeXt_Tiny_Weights.IMAGENET1K_V1": ("convnext_tiny-983f1562.pth", 28589128, 82.52, 224,
                                            236),
    "Swin_T_Weights.IMAGENET1K_V1": ("swin_t-704ceda3.pth", 28288354, 81.474, 224, 232),
    "Inception_V3_Weights.IMAGENET1K_V1": ("inception_v3_google-0cc3c7bd.pth", 27161264, 77.294,
                                           299, 342),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_weight_facts(name):
    fname, n_params, acc1, crop, resize = PUBLISHED[name]
    w = M.get_weight(name)
    assert w.url == "https://download.pytorch.org/models/" + fname
    assert w.meta["num_params"] == n_params
    assert w.meta["_metrics"]["ImageNet-1K"]["acc@1"] == acc1
    assert len(w.meta["categories"]) == 1000
    assert w.meta["categories"][0] == "tench" and w.meta["categories"][-1] == "toilet tissue"
    t = w.transforms()
    assert isinstance(t, ImageClassification)
    assert t.crop_size == [crop] and t.resize_size == [resize]


def test_every_url_names_a_sha256_prefix_and_every_enum_has_default():
    for name in M.list_models():
        enum = M.get_model_weights(name)
        assert enum.DEFAULT in list(enum)
        for w in enum:
            assert w.url.startswith("https://download.pytorch.org/models/")
            assert re.search(r"-([a-f0-9]{6,})\.pth$", w.url), w.url
            assert "num_params" in w.meta and "min_size" in w.meta


def test_segmentation_weights():
    w = segmentation.FCN_ResNet50_Weights.DEFAULT
    assert w is segmentation.FCN_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1
    assert w.meta["categories"][:3] == ["__background__", "aeroplane", "bicycle"]
    assert len(w.meta["categories"]) == 21
    t = w.transforms()
    assert isinstance(t, SemanticSegmentation) and t.resize_size == [520]


def test_verify_accepts_members_and_names():
    E = M.ResNet50_Weights
    assert E.verify(None) is None
    assert E.verify("IMAGENET1K_V2") is E.IMAGENET1K_V2
    assert E.verify("ResNet50_Weights.IMAGENET1K_V1") is E.IMAGENET1K_V1
    assert E.verify("DEFAULT") is E.IMAGENET1K_V2
    assert repr(E.DEFAULT) == "ResNet50_Weights.IMAGENET1K_V2"
    with pytest.raises(ValueError, match="Unknown weights 'V3' for ResNet50_Weights"):
        E.verify("V3")
    with pytest.raises(TypeError, match="expected ResNet50_Weights but received "
                                        "ResNet18_Weights"):
        E.verify(M.ResNet18_Weights.DEFAULT)
    with pytest.raises(TypeError, match="expected ResNet50_Weights"):
        M.resnet50(weights=M.ResNet18_Weights.DEFAULT)


def test_registry_helpers():
    assert M.get_model_weights("resnet50") is M.ResNet50_Weights
    assert M.get_model_weights(M.resnet50) is M.ResNet50_Weights
    assert M.get_weight("ResNet50_Weights.IMAGENET1K_V2") is M.ResNet50_Weights.IMAGENET1K_V2
    with pytest.raises(ValueError, match="Invalid weight name"):
        M.get_weight("resnet50")
    with pytest.raises(ValueError, match="couldn't be retrieved"):
        M.get_weight("Nope_Weights.V1")
    with pytest.raises(ValueError, match="Unknown model"):
        M.get_model_weights("resnet0")
    assert M.get_model("resnet18", num_classes=3).fc.out_features == 3
    assert isinstance(M.Weights("u", lambda: None, {}), Weights)


def test_legacy_pretrained_maps_to_v1_with_warning(monkeypatch):
    seen = []

    def fake_load(self, *args, **kwargs):
        seen.append((self, kwargs))
        return M.resnet18().state_dict()

    monkeypatch.setattr(M.ResNet18_Weights, "get_state_dict", fake_load)
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        M.resnet18(pretrained=True)
    assert seen[0][0] is M.ResNet18_Weights.IMAGENET1K_V1
    assert seen[0][1] == {"progress": True, "check_hash": True}
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        m = M.resnet18(pretrained=False)
    assert m.fc.out_features == 1000 and len(seen) == 1
    with pytest.raises(ValueError, match="pass only one of 'pretrained'"):
        M.resnet18(pretrained=True, weights="DEFAULT")


def test_weights_fix_num_classes():
    with pytest.raises(ValueError, match="'num_classes' expected value 1000 but got 10"):
        M.resnet18(weights="DEFAULT", num_classes=10)


def _serve_locally(monkeypatch, tmp_path, member, state_dict, corrupt=False):
    """Write ``state_dict`` as a file whose name carries its sha256 prefix; point ``member``'s
    URL at it (file://) and the hub cache at ``tmp_path``."""
    raw = tmp_path / "raw.pth"
    ember.save(state_dict, str(raw))
    digest = hashlib.sha256(raw.read_bytes()).hexdigest()
    prefix = "0" * 8 if corrupt else digest[:8]
    src = tmp_path / f"served-{prefix}.pth"
    raw.rename(src)
    new = Weights(url=src.as_uri(), transforms=member.transforms, meta=member.meta)
    monkeypatch.setattr(member, "_value_", new)
    old_dir = ember.hub.get_dir()
    ember.hub.set_dir(str(tmp_path / "hub"))
    return old_dir


def test_weights_load_through_hub_with_hash_check(monkeypatch, tmp_path):
    source = M.resnet18()
    with ember.no_grad():
        source.fc.bias.fill_(0.25)
    member = M.ResNet18_Weights.IMAGENET1K_V1
    old = _serve_locally(monkeypatch, tmp_path, member, source.state_dict())
    try:
        model = M.resnet18(weights="DEFAULT", progress=False)
    finally:
        ember.hub.set_dir(old)
    for (k, a), b in zip(source.state_dict().items(), model.state_dict().values(),
                              strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    assert (tmp_path / "hub" / "checkpoints").is_dir()


def test_corrupt_weight_file_is_rejected(monkeypatch, tmp_path):
    member = M.SqueezeNet1_1_Weights.IMAGENET1K_V1
    old = _serve_locally(monkeypatch, tmp_path, member, M.squeezenet1_1().state_dict(),
                         corrupt=True)
    try:
        with pytest.raises(RuntimeError, match="sha256 mismatch"):
            M.squeezenet1_1(weights=member, progress=False)
    finally:
        ember.hub.set_dir(old)


def test_densenet_old_checkpoint_loads(monkeypatch, tmp_path):
    source = M.densenet121()
    # NOTE: the published files predate both the new names and the num_batches_tracked buffer
    old_sd = {re.sub(r"(denselayer\d+\.(?:norm|relu|conv))([12])\.", r"\1.\2.", k): v
              for k, v in source.state_dict().items() if "num_batches_tracked" not in k}
    assert "features.denseblock1.denselayer1.norm.1.weight" in old_sd
    member = M.DenseNet121_Weights.IMAGENET1K_V1
    old = _serve_locally(monkeypatch, tmp_path, member, old_sd)
    try:
        model = M.densenet121(weights=member, progress=False)
    finally:
        ember.hub.set_dir(old)
    np.testing.assert_array_equal(
        model.features.denseblock1.denselayer1.norm1.weight.detach().numpy(),
        source.features.denseblock1.denselayer1.norm1.weight.detach().numpy())


def test_googlenet_with_weights_drops_aux_heads(monkeypatch):
    def fake_load(self, *args, **kwargs):
        return M.googlenet(aux_logits=True, init_weights=False).state_dict()

    monkeypatch.setattr(M.GoogLeNet_Weights, "get_state_dict", fake_load)
    m = M.googlenet(weights="DEFAULT")
    assert m.aux1 is None and m.aux2 is None and m.transform_input is True
