"""Infrastructure for the platform's Nameko services (no domain code lives here)."""

import os
import warnings

# psycopg 3 blocks the whole eventlet hub unless it waits with select(); the
# variable is read when psycopg is first imported, so set it before anything else.
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
warnings.filterwarnings("ignore", message=".*eventlet.*", category=DeprecationWarning)
