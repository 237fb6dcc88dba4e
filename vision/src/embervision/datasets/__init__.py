"""embervision.datasets: image datasets with torchvision's API and on-disk layouts."""

from .cifar import *  # noqa: F403
from .cifar import __all__ as _cifar_all
from .coco import *  # noqa: F403
from .coco import __all__ as _coco_all
from .digits import *  # noqa: F403
from .digits import __all__ as _digits_all
from .fakedata import *  # noqa: F403
from .fakedata import __all__ as _fakedata_all
from .flowers102 import *  # noqa: F403
from .flowers102 import __all__ as _flowers102_all
from .folder import *  # noqa: F403
from .folder import __all__ as _folder_all
from .food101 import *  # noqa: F403
from .food101 import __all__ as _food101_all
from .imagenet import *  # noqa: F403
from .imagenet import __all__ as _imagenet_all
from .mnist import *  # noqa: F403
from .mnist import __all__ as _mnist_all
from .oxford_iiit_pet import *  # noqa: F403
from .oxford_iiit_pet import __all__ as _oxford_iiit_pet_all
from .stl10 import *  # noqa: F403
from .stl10 import __all__ as _stl10_all
from .svhn import *  # noqa: F403
from .svhn import __all__ as _svhn_all
from .vision import *  # noqa: F403
from .vision import __all__ as _vision_all
from .voc import *  # noqa: F403
from .voc import __all__ as _voc_all

__all__ = [*_vision_all, *_folder_all, *_fakedata_all, *_digits_all]
__all__ += [*_mnist_all, *_cifar_all, *_svhn_all, *_stl10_all, *_voc_all, *_coco_all]
__all__ += [*_flowers102_all, *_food101_all, *_oxford_iiit_pet_all, *_imagenet_all]
