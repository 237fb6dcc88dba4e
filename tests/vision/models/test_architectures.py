"""Every builder reproduces torchvision 0.28's architecture: parameter count and state_dict.

FACTS were recorded once from torchvision 0.28 (randomly initialised models, segmentation
models with ``weights_backbone=None``): number of parameters, number of state_dict entries and
the first 16 hex digits of the sha256 of the newline-joined ``"key:shape"`` list in state_dict
order (shape as a Python tuple). Equal digests mean equal key names, order and shapes, so the
published weight files load key for key.
"""

import hashlib

import pytest

import ember
import embervision.models as M
from embervision.models import segmentation

FACTS = {
    "alexnet": (61100840, 16, "7cf57469ad654ca3"),
    "convnext_base": (88591464, 344, "e5bd5a734f947aba"),
    "convnext_large": (197767336, 344, "818db6c924916d7b"),
    "convnext_small": (50223688, 344, "6a36145375c3f253"),
    "convnext_tiny": (28589128, 182, "5c1934c7e7f217f7"),
    "deeplabv3_mobilenet_v3_large": (11025477, 352, "ca68864befb60b26"),
    "deeplabv3_resnet101": (58630997, 668, "bdee0db3acbc36b8"),
    "deeplabv3_resnet50": (39638869, 362, "fe20b6b9bc87815b"),
    "densenet121": (7978856, 727, "604b78c2bbed70c0"),
    "densenet161": (28681000, 967, "3f911412d51f2ecc"),
    "densenet169": (14149480, 1015, "56728b035e841ddf"),
    "densenet201": (20013928, 1207, "82cfe2e7fe9f5e8e"),
    "efficientnet_b0": (5288548, 360, "e1f159b97ca4b202"),
    "efficientnet_b1": (7794184, 508, "989a43fdb89753c2"),
    "efficientnet_b2": (9109994, 508, "f8562fea91f98ae8"),
    "efficientnet_b3": (12233232, 574, "ddbc48d0e5f9ddc6"),
    "efficientnet_b4": (19341616, 706, "247b4546c18f3d80"),
    "efficientnet_b5": (30389784, 854, "2ade86b0b939e121"),
    "efficientnet_b6": (43040704, 986, "fb07994073c93883"),
    "efficientnet_b7": (66347960, 1200, "c6f5daf9dfaea933"),
    "efficientnet_v2_l": (118515272, 1548, "593fbcc6ed20dc41"),
    "efficientnet_v2_m": (54139356, 1120, "abb272347120782c"),
    "efficientnet_v2_s": (21458488, 782, "a87c1d49fa49687b"),
    "fcn_resnet101": (51949141, 632, "da43a37e5684a9a8"),
    "fcn_resnet50": (32957013, 326, "3542e254a194a732"),
    "googlenet": (13004888, 364, "563d3cdadc5f3358"),
    "inception_v3": (27161264, 580, "f17cfe285ae35639"),
    "lraspp_mobilenet_v3_large": (3221538, 319, "c53e5b45e3a3ed09"),
    "mnasnet0_5": (2218512, 314, "76925572e4a8dcad"),
    "mnasnet0_75": (3170208, 314, "4ad44252e688cda5"),
    "mnasnet1_0": (4383312, 314, "b168e491e6cb97c0"),
    "mnasnet1_3": (6282256, 314, "5d46cd13f984e97a"),
    "mobilenet_v2": (3504872, 314, "2a375ead3e9604e1"),
    "mobilenet_v3_large": (5483032, 312, "9cb349b03a916ada"),
    "mobilenet_v3_small": (2542856, 244, "45e84af7b7bba021"),
    "regnet_x_16gf": (54278536, 428, "8f7eafbae085f169"),
    "regnet_x_1_6gf": (9190136, 356, "1ae188772cf65e7f"),
    "regnet_x_32gf": (107811560, 446, "bfaa4c188f3aa255"),
    "regnet_x_3_2gf": (15296552, 482, "80874d24d0b36f82"),
    "regnet_x_400mf": (5495976, 428, "c5218b26738897ed"),
    "regnet_x_800mf": (7259656, 320, "6eaf36711ba317b3"),
    "regnet_x_8gf": (39572648, 446, "bd522f40cf47a0a1"),
    "regnet_y_128gf": (644812894, 626, "7dfa1c5be240ee54"),
    "regnet_y_16gf": (83590140, 428, "4647354f6be278b8"),
    "regnet_y_1_6gf": (11202430, 626, "cb1384eb3381d76a"),
    "regnet_y_32gf": (145046770, 472, "6ce534b7fa9c08e0"),
    "regnet_y_3_2gf": (19436338, 494, "c60979b5bdf9d0d5"),
    "regnet_y_400mf": (4344144, 384, "d9b18837689a85e8"),
    "regnet_y_800mf": (6432512, 340, "fe97f3de8f480703"),
    "regnet_y_8gf": (39381472, 406, "b073548c9ee2f200"),
    "resnet101": (44549160, 626, "708e8813e2eb3461"),
    "resnet152": (60192808, 932, "9e3321003337a848"),
    "resnet18": (11689512, 122, "3e58b0798c806a0c"),
    "resnet34": (21797672, 218, "97e365907d64da74"),
    "resnet50": (25557032, 320, "781bb16f43b8f96f"),
    "resnext101_32x8d": (88791336, 626, "d8d4f6f347fc1097"),
    "resnext101_64x4d": (83455272, 626, "b1642e95df84809d"),
    "resnext50_32x4d": (25028904, 320, "7140c3dbddac5382"),
    "shufflenet_v2_x0_5": (1366792, 338, "fdb33b2f61579b76"),
    "shufflenet_v2_x1_0": (2278604, 338, "9bd21e2f90c0ee03"),
    "shufflenet_v2_x1_5": (3503624, 338, "9bbadb73bc97932a"),
    "shufflenet_v2_x2_0": (7393996, 338, "55c87ba782b47d6e"),
    "squeezenet1_0": (1248424, 52, "d028ebe5030ca989"),
    "squeezenet1_1": (1235496, 52, "d93224ce3d6af260"),
    "swin_b": (87768224, 353, "a1f9c9c2656c3bbe"),
    "swin_s": (49606258, 353, "b42c245374abfe17"),
    "swin_t": (28288354, 185, "eacc56dc7fb6367e"),
    "swin_v2_b": (87930848, 449, "8bc3fe93edeef7e1"),
    "swin_v2_s": (49737442, 449, "161a8bfcebc5097e"),
    "swin_v2_t": (28351570, 233, "d3a01ce99350b891"),
    "vgg11": (132863336, 22, "5e6ee14c22dc415d"),
    "vgg11_bn": (132868840, 62, "96ee5d41fde5cc7f"),
    "vgg13": (133047848, 26, "054bce641758c677"),
    "vgg13_bn": (133053736, 76, "98a0a0f25977c5dd"),
    "vgg16": (138357544, 32, "77334610293d95e2"),
    "vgg16_bn": (138365992, 97, "a463166a74dc0850"),
    "vgg19": (143667240, 38, "b4eb1243614e83cf"),
    "vgg19_bn": (143678248, 118, "e6e7b876b32ca010"),
    "vit_b_16": (86567656, 152, "c10467b1a130b99c"),
    "vit_b_32": (88224232, 152, "04c5c9c6b1ca4c54"),
    "vit_h_14": (632045800, 392, "609b33d09e86fdaa"),
    "vit_l_16": (304326632, 296, "3a7d1af73ed469de"),
    "vit_l_32": (306535400, 296, "e4ede7e9841debab"),
    "wide_resnet101_2": (126886696, 626, "b36705398a51e311"),
    "wide_resnet50_2": (68883240, 320, "31ec3ad967f7b3b9"),}

# NOTE: building these allocates 0.2-0.65 G parameters each (seconds and GBs); their
# recorded facts are checked in the slow test below.
BIG = {"convnext_large", "regnet_y_128gf", "vit_h_14", "vit_l_16", "vit_l_32"}
SEG = set(M.list_models(module=segmentation))


def _digest(model) -> tuple[int, int, str]:
    sd = model.state_dict()
    text = "\n".join(f"{k}:{tuple(v.shape)}" for k, v in sd.items())
    n_params = sum(p.numel() for p in model.parameters())
    return n_params, len(sd), hashlib.sha256(text.encode()).hexdigest()[:16]


def _build(name):
    kwargs = {"weights_backbone": None} if name in SEG else {}
    if name in ("googlenet", "inception_v3"):
        kwargs["init_weights"] = True
    return M.get_model(name, **kwargs)


def test_registry_lists_every_recorded_model():
    # classification + segmentation (detection registers its builders when imported)
    assert sorted(FACTS) == sorted(M.list_models(module=M) + M.list_models(module=segmentation))
    assert set(FACTS) <= set(M.list_models())


def test_list_models_by_module_and_pattern():
    assert M.list_models(module=segmentation) == sorted(SEG)
    assert "fcn_resnet50" not in M.list_models(module=M)
    assert M.list_models(include="resnet1*") == ["resnet101", "resnet152", "resnet18"]
    assert M.list_models(include="vgg*", exclude="*_bn") == ["vgg11", "vgg13", "vgg16", "vgg19"]


@pytest.mark.parametrize("name", sorted(set(FACTS) - BIG))
def test_architecture_matches_torchvision(name, fast_init):
    assert _digest(_build(name)) == FACTS[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BIG))
def test_big_architecture_matches_torchvision(name, fast_init):
    assert _digest(_build(name)) == FACTS[name]


def test_weights_enum_num_params_match_the_recorded_counts(fast_init):
    for name in FACTS:
        for w in M.get_model_weights(name):
            if name in SEG or name == "googlenet":
                continue
            if name.startswith("vit_") and w.meta["min_size"][0] != 224:
                continue  # SWAG end-to-end weights: larger image, longer position embedding
            assert w.meta["num_params"] == FACTS[name][0], (name, w)
    m = M.vit_b_16(image_size=384)
    n = M.ViT_B_16_Weights.IMAGENET1K_SWAG_E2E_V1.meta["num_params"]
    assert sum(p.numel() for p in m.parameters()) == n
    # GoogLeNet's published count excludes the auxiliary heads, which its builder drops
    m = M.googlenet(aux_logits=False, init_weights=False)
    assert sum(p.numel() for p in m.parameters()) == M.GoogLeNet_Weights.DEFAULT.meta["num_params"]


def test_explicit_state_dict_keys():
    # a few keys spelled out, independent of the digests above
    sd = M.resnet18().state_dict()
    assert list(sd)[:6] == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean",
                            "bn1.running_var", "bn1.num_batches_tracked"]
    assert tuple(sd["layer2.0.downsample.0.weight"].shape) == (128, 64, 1, 1)
    assert tuple(sd["fc.weight"].shape) == (1000, 512)
    sd = M.densenet121().state_dict()
    assert "features.denseblock1.denselayer1.norm1.weight" in sd
    assert tuple(sd["classifier.weight"].shape) == (1000, 1024)
    sd = M.mobilenet_v3_small().state_dict()
    assert tuple(sd["features.1.block.1.fc1.weight"].shape) == (8, 16, 1, 1)
    sd = M.squeezenet1_1().state_dict()
    assert tuple(sd["features.3.expand3x3.weight"].shape) == (64, 16, 3, 3)


def test_explicit_transformer_keys(fast_init):
    sd = M.vit_b_32().state_dict()
    assert list(sd)[:3] == ["class_token", "conv_proj.weight", "conv_proj.bias"]
    assert tuple(sd["encoder.pos_embedding"].shape) == (1, 50, 768)
    assert tuple(sd["encoder.layers.encoder_layer_0.self_attention.in_proj_weight"].shape) == \
        (2304, 768)
    assert tuple(sd["encoder.layers.encoder_layer_11.mlp.3.weight"].shape) == (768, 3072)
    sd = M.swin_t().state_dict()
    idx = sd["features.1.0.attn.relative_position_index"]
    assert idx.dtype == ember.int64 and tuple(idx.shape) == (49 * 49,)
    assert tuple(sd["features.1.0.attn.relative_position_bias_table"].shape) == (169, 3)
    sd = M.swin_v2_t().state_dict()
    assert tuple(sd["features.1.0.attn.relative_coords_table"].shape) == (1, 15, 15, 2)
    assert tuple(sd["features.1.0.attn.logit_scale"].shape) == (3, 1, 1)
