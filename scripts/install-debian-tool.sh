#!/usr/bin/env bash
# Install a command from Debian's packages, once: `install-debian-tool.sh COMMAND [PACKAGE] [WHAT-SKIPS]`.
# Used for Chromium (the end-to-end UI test) and wrk (the load bench): tools that download
# themselves fail offline. Without root or apt, say so and go on: what needs the tool then skips.
set -u
command_name=$1
package=${2:-$1}
skips=${3:-"what needs $command_name"}
if command -v "$command_name" >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then echo "apt-get not found: $skips will be skipped"; exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else echo "not root: $skips will be skipped"; exit 0; fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q --no-install-recommends "$package" >/dev/null \
  || echo "could not install $package: $skips will be skipped"
