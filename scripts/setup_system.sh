#!/usr/bin/env bash
# Install the Debian packages regen's built-in data and report test need; idempotent:
# does nothing (not even apt-get update) when every package is already installed.
set -euo pipefail
packages=(
  fonts-dejavu-core fonts-dejavu-extra fonts-liberation fonts-noto-core   # glyph dataset
  fonts-noto-color-emoji                               # emoji dataset
  espeak-ng fortunes fortunes-min                      # speech corpus (voices, sentences)
  # voices from recorded speech for the multi-engine corpus (recipes *_multi.yaml):
  # flite's kal16/awb/rms/slt; festival's kal_diphone, ked_diphone, cmu_us_slt_arctic_hts
  flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
  python3-pattern wordnet-base                        # text task: Brill tagger files, WordNet morphology
  fluidsynth fluid-soundfont-gm                        # sound corpus (General MIDI renders)
  chromium                                             # the report test opens report.html
)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing Debian packages: ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
