#!/usr/bin/env bash
# Install Debian's Chromium for the end-to-end test, once. Without root or apt, say so and go on:
# the browser test then skips with that reason.
set -u
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then echo "apt-get not found: the browser test will be skipped"; exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else echo "not root: the browser test will be skipped"; exit 0; fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q --no-install-recommends chromium >/dev/null \
  || echo "could not install chromium: the browser test will be skipped"
