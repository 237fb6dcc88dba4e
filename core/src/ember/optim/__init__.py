"""``ember.optim``: optimizers with PyTorch's update rules, options and ``state_dict`` layout."""

from . import lr_scheduler, swa_utils  # engineer O3
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = ["Adam", "Adamax", "AdamW", "NAdam", "Optimizer", "RAdam", "SGD"]
__all__ += ["Adadelta", "Adagrad", "ASGD", "LBFGS", "RMSprop", "Rprop", "SparseAdam"]  # O2
__all__ += ["lr_scheduler", "swa_utils"]  # engineer O3
