"""Test settings shared by every module."""

import os

from hypothesis import settings

# In CI the property tests draw the same examples on every run, so a red build
# always reproduces; on a developer's machine they keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
