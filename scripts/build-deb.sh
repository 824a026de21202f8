#!/usr/bin/env bash
# Builds lagwatch_<version>_<arch>.deb with Debian's own tools: the release binary (scripts/build-release.sh,
# Swift runtime linked in), staged by `make install`, plus a man page generated from the argument parser,
# bash/zsh/fish completions and the maintainer scripts in packaging/deb; dpkg-shlibdeps writes Depends,
# dpkg-deb builds, lintian checks (any finding fails the build; overrides are justified in
# packaging/deb/lintian-overrides). Prints the path of the .deb, under .build/deb/.
# BIN=PATH packages an already built binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --packaging >&2

version=$(tr -d ' \n' < VERSION)
revision=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
arch=$(dpkg --print-architecture)
binary=${BIN:-$(scripts/build-release.sh)}
out=.build/deb
stage=$out/lagwatch_${version}_$arch
rm -rf "$stage"
mkdir -p "$stage/DEBIAN"

# Files as `make install` lays them out, with Debian's paths.
make -s --no-print-directory install DESTDIR="$PWD/$stage" PREFIX=/usr UNITDIR=/lib/systemd/system BIN="$binary" >&2
# Debian ships binaries without symbol tables or debug sections (lintian: unstripped-binary-or-object).
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/lagwatch"

# The man page and completions, from the argument parser's own description of the command line. The man
# page is dated by the last commit, so that the same revision gives the same page.
date=$(git log -1 --format=%cs 2>/dev/null || date -u +%F)
swift package --allow-writing-to-package-directory generate-manual --configuration debug --date "$date" \
  --authors "the lagwatch developers" >&2
install -d "$stage/usr/share/man/man1"
gzip -9n < .build/plugins/GenerateManual/outputs/lagwatch/lagwatch.1 > "$stage/usr/share/man/man1/lagwatch.1.gz"
install -d "$stage/usr/share/bash-completion/completions" "$stage/usr/share/zsh/vendor-completions" \
  "$stage/usr/share/fish/vendor_completions.d"
# bash-completion sources the file: no #! line (lintian: bash-completion-with-hashbang).
"$binary" --generate-completion-script bash | sed "1{/^#!/d}" > "$stage/usr/share/bash-completion/completions/lagwatch"
"$binary" --generate-completion-script zsh > "$stage/usr/share/zsh/vendor-completions/_lagwatch"
"$binary" --generate-completion-script fish > "$stage/usr/share/fish/vendor_completions.d/lagwatch.fish"

# Documentation: copyright, the changelog Debian requires, the README.
doc=$stage/usr/share/doc/lagwatch
install -d "$doc"
install -m 0644 packaging/deb/copyright "$doc/copyright"
sed -e "s/@VERSION@/$version/g" -e "s/@REVISION@/$revision/g" \
  -e "s/@DATE@/$(date -R -d "$(git log -1 --format=%cI 2>/dev/null || date -u -R)")/" packaging/deb/changelog.in \
  | gzip -9n > "$doc/changelog.gz"
gzip -9n < README.md > "$doc/README.md.gz"
install -d "$stage/usr/share/lintian/overrides"
install -m 0644 packaging/deb/lintian-overrides "$stage/usr/share/lintian/overrides/lagwatch"

# Control files: the conffiles in /etc/lagwatch, the maintainer scripts, and Depends from the libraries
# the binary really loads (dpkg-shlibdeps reads its ELF dependencies and Debian's shlibs files).
find "$stage/etc" -type f -printf '/etc/%P\n' | sort > "$stage/DEBIAN/conffiles"
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$stage/DEBIAN/"
mkdir -p "$out/shlibs/debian"
: > "$out/shlibs/debian/control"
depends=$(cd "$out/shlibs" && dpkg-shlibdeps -O "$OLDPWD/$stage/usr/bin/lagwatch" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$size/" -e "s/@DEPENDS@/$depends/" \
  packaging/deb/control.in > "$stage/DEBIAN/control"
(cd "$stage" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"

deb=$out/lagwatch_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >&2
lintian --fail-on error,warning,info --info "$deb" >&2
echo "$deb"
