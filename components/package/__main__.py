"""Entry point of the standard-stack provider: the Python language host runs ``python <this folder>``.

The library comes from the plugin's virtualenv (``standard_stack``, installed from ../.. by
requirements.txt). ``python <folder>`` puts this folder first on ``sys.path``, where its module names
(``inputs``, ``provider``...) would shadow any top-level module of that name: it is taken off.
"""

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    del sys.path[0]

from standard_stack.package import serve

serve()
