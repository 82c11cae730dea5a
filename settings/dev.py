"""Development settings: the presets' development environment (DEBUG on, DEBUG-level logs)."""

from settings.base import *  # noqa: F403
from settings.base import common
from shared_core import presets

globals().update(presets.for_environment(common, presets.DEVELOPMENT))
