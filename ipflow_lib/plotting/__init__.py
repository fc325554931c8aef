"""The book's figures: one style for every chapter. Plotting never computes; it draws results.

One submodule per topic; everything public is re-exported here, so chapters write
``from ipflow_lib import plotting`` and ``plotting.information_plane(result)``.
Every function draws on a given or new matplotlib ``Axes`` and returns the ``Figure``.
"""

from .animation import *  # noqa: F403
from .bottleneck import *  # noqa: F403
from .dual_ib import *  # noqa: F403
from .estimation import *  # noqa: F403
from .generalization import *  # noqa: F403
from .information_plane import *  # noqa: F403
from .linear import *  # noqa: F403
from .noisy import *  # noqa: F403
from .ntk import *  # noqa: F403
from .style import *  # noqa: F403
