#!/usr/bin/env bash
# Splits the dailyfeed monorepo into its separate repositories, history kept:
# one repository per top-level folder (git subtree split), and in every service
# repository the `dailyfeed-shared` symlink replaced by a real git submodule of the
# split dailyfeed-shared repository, at the same path, so the build is unchanged.
#   split-repos.sh <output-dir> [monorepo-dir]
set -euo pipefail

usage() { echo "usage: $(basename "$0") <output-dir> [monorepo-dir]" >&2; exit 2; }
say() { printf '==> %s\n' "$*" >&2; }

OUT=${1:-}; [[ -n $OUT ]] || usage
MONO=$(cd "${2:-$(dirname "${BASH_SOURCE[0]}")/../..}" && pwd)
SHARED_URL=${DAILYFEED_SHARED_URL:-}   # where the split services point their submodule (default: the local split)
FOLDERS=(dailyfeed-shared dailyfeed-installer dailyfeed-member-svc dailyfeed-content-svc dailyfeed-timeline-svc dailyfeed-image-svc dailyfeed-search-svc dailyfeed-activity-svc)

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
git -C "$MONO" rev-parse --verify HEAD >/dev/null || { echo "split-repos: $MONO has no commits" >&2; exit 1; }

for folder in "${FOLDERS[@]}"; do
  [[ -d $MONO/$folder ]] || { say "skipping $folder (absent)"; continue; }
  target="$OUT/$folder"
  [[ ! -e $target ]] || { echo "split-repos: $target exists; choose an empty output dir" >&2; exit 1; }
  say "splitting $folder"
  commit=$(git -C "$MONO" subtree split -q --prefix="$folder" HEAD)
  git init --quiet --initial-branch=main "$target"
  git -C "$target" fetch --quiet "$MONO" "$commit"
  git -C "$target" reset --quiet --hard FETCH_HEAD
done

shared_url=${SHARED_URL:-$OUT/dailyfeed-shared}
for folder in "${FOLDERS[@]}"; do
  [[ $folder == *-svc && -d $OUT/$folder ]] || continue
  say "wiring dailyfeed-shared as a submodule of $folder"
  (
    cd "$OUT/$folder"
    if [[ -L dailyfeed-shared || -e dailyfeed-shared ]]; then git rm --quiet -r dailyfeed-shared; fi
    # Git >= 2.38.1 refuses local-path submodules unless file transport is allowed explicitly.
    git -c protocol.file.allow=always submodule --quiet add "$shared_url" dailyfeed-shared
    git -c user.name="${GIT_AUTHOR_NAME:-dailyfeed split}" -c user.email="${GIT_AUTHOR_EMAIL:-split@dailyfeed.local}" \
      commit --quiet -m "Include dailyfeed-shared as a git submodule"
  )
done
say "split repositories are in $OUT"
