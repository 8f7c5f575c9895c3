"""Entry point of the standard-stack provider: the Python language host runs ``python <this folder>``.

That puts this folder first on ``sys.path``, where the library's parent is needed instead: the
package imports the library relatively, so the library is imported under its folder's name
(``components`` in a checkout), whatever that name becomes.
"""

import importlib
import sys
from pathlib import Path

library = Path(__file__).resolve().parent.parent
sys.path[0] = str(library.parent)
importlib.import_module(f"{library.name}.package").serve()
