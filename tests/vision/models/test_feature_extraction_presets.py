"""Hook-based feature extraction and the weight preprocessing presets."""

import numpy as np
import pytest
from PIL import Image

import ember
import embervision.models as M
from ember import nn
from embervision.feature_extraction import create_feature_extractor, get_graph_node_names
from embervision.transforms._presets import (
    ImageClassification,
    ObjectDetection,
    SemanticSegmentation,
    VideoClassification,
)


def test_feature_extractor_returns_named_module_outputs():
    model = M.resnet18().eval()
    fe = create_feature_extractor(model, {"layer1": "c2", "layer4": "c5",
                                          "layer1.0.relu_1": "second_relu", "fc": "logits"})
    x = ember.randn(1, 3, 64, 64)
    with ember.no_grad():
        out = fe(x)
        ref = model(x)
        c2 = model.layer1(model.maxpool(model.relu(model.bn1(model.conv1(x)))))
    assert list(out) == ["c2", "c5", "second_relu", "logits"]
    assert tuple(out["c5"].shape) == (1, 512, 2, 2)
    np.testing.assert_allclose(out["logits"].numpy(), ref.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out["c2"].numpy(), c2.numpy(), rtol=1e-6, atol=1e-6)
    # the second call of the block's shared relu is the block's output
    np.testing.assert_allclose(out["second_relu"].numpy(),
                               fe.layer1[0](model.maxpool(model.relu(model.bn1(
                                   model.conv1(x))))).detach().numpy(), rtol=1e-6, atol=1e-6)
    assert list(fe.state_dict()) == list(model.state_dict())
    assert not model.layer1._forward_hooks  # hooks are removed after each call


def test_feature_extractor_list_train_eval_and_errors():
    m = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 2))
    fe = create_feature_extractor(m, train_return_nodes=["0"], eval_return_nodes=["2"])
    assert list(fe.train()(ember.zeros(1, 3))) == ["0"]
    assert list(fe.eval()(ember.zeros(1, 3))) == ["2"]
    assert m.training is False
    with pytest.raises(ValueError, match="is not present in model"):
        create_feature_extractor(m, ["3"])
    with pytest.raises(ValueError, match="both should be specified"):
        create_feature_extractor(m, train_return_nodes=["0"])
    with pytest.raises(ValueError, match="should be specified"):
        create_feature_extractor(m)
    with pytest.raises(RuntimeError, match="were not executed"):
        create_feature_extractor(m, ["0_3"])(ember.zeros(1, 3))
    assert get_graph_node_names(m) == (["0", "1", "2"], ["0", "1", "2"])


def _pil(h, w, seed=0):
    arr = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    return Image.fromarray(arr), arr


def test_image_classification_preset_by_hand():
    img, arr = _pil(8, 8)
    t = ImageClassification(crop_size=4, resize_size=8, mean=(0.5, 0.25, 0.0), std=(0.5, 1, 2))
    out = t(img)
    # resizing to the same size is the identity, then a centred 4x4 crop
    ref = (arr[2:6, 2:6].transpose(2, 0, 1) / 255.0 - np.array([0.5, 0.25, 0.0])[:, None, None]) \
        / np.array([0.5, 1, 2])[:, None, None]
    assert out.dtype == ember.float32 and tuple(out.shape) == (3, 4, 4)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6, atol=1e-6)
    tensor_out = t(ember.from_numpy(arr.transpose(2, 0, 1).copy()))
    np.testing.assert_allclose(tensor_out.numpy(), ref, rtol=1e-6, atol=1e-6)
    assert "crop_size=[4]" in repr(t) and "resize_size=[8]" in t.describe()


def test_segmentation_detection_video_presets():
    img, arr = _pil(6, 10)
    out = SemanticSegmentation(resize_size=None, mean=(0, 0, 0), std=(1, 1, 1))(img)
    np.testing.assert_allclose(out.numpy(), arr.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert tuple(SemanticSegmentation(resize_size=3)(img).shape) == (3, 3, 5)
    det = ObjectDetection()(img)
    assert det.dtype == ember.float32
    np.testing.assert_allclose(det.numpy(), arr.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    vid = ember.from_numpy(np.random.default_rng(1).integers(0, 256, (2, 4, 3, 6, 6),
                                                               dtype=np.uint8))
    v = VideoClassification(crop_size=(4, 4), resize_size=(6, 6), mean=(0, 0, 0),
                            std=(1, 1, 1))(vid)
    assert tuple(v.shape) == (2, 3, 4, 4, 4)
    np.testing.assert_allclose(v.numpy(), vid.numpy()[:, :, :, 1:5, 1:5].transpose(0, 2, 1, 3, 4)
                               / 255.0, rtol=1e-6)


def test_weights_transforms_build_presets():
    t = M.ResNet50_Weights.IMAGENET1K_V2.transforms()
    img, _ = _pil(300, 260)
    assert tuple(t(img).shape) == (3, 224, 224)
    t = M.EfficientNet_B0_Weights.DEFAULT.transforms()
    assert t.interpolation.value == "bicubic" and t.crop_size == [224]
