"""Settings every service builds on: ``base`` (common), ``dev``, ``prod`` and ``test``.

Every value comes from the environment (django-environ); ``.env`` is read only when present.
"""
