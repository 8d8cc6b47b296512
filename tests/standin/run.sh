#!/usr/bin/env bash
# The local Instagram stand-in's own tests (the fixture every other suite trusts).
set -euo pipefail
cd "$(dirname "$0")/../.."
node --test tests/standin/
