# Build and install lagwatch. `make install` honours DESTDIR and PREFIX:
#   make install PREFIX=/usr/local            (the default)
#   make install DESTDIR=/tmp/stage PREFIX=/usr
# Installs the binary, the systemd unit, the Prometheus rules and Grafana dashboards (in
# $(PREFIX)/share/lagwatch/alerts and …/dashboards, with a Grafana provisioning file), and an
# example configuration and environment file (existing ones in /etc/lagwatch are kept). `make uninstall`
# removes the binary, the unit and the shared files, and keeps /etc/lagwatch.
PREFIX ?= /usr/local
DESTDIR ?=
# The binary installed; built when missing by scripts/build-release.sh (release mode, Swift runtime linked
# in, so the binary needs only Debian's libraries). One that loads the Swift runtime is refused.
BIN ?= .build/ship/release/lagwatch
BINDIR = $(PREFIX)/bin
UNITDIR ?= /etc/systemd/system
CONFDIR ?= /etc/lagwatch
SHAREDIR = $(PREFIX)/share/lagwatch

.PHONY: build install uninstall test deb check-deb

build:
	scripts/build-release.sh

# lagwatch_<version>_<arch>.deb under .build/deb, checked by lintian.
deb:
	scripts/build-deb.sh

# Installs the package into a clean Debian 12 root (debootstrap) and checks it there.
check-deb:
	scripts/check-deb.sh

install:
	test -x $(BIN) || $(MAKE) build
	scripts/check-portable.sh $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/lagwatch
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CONFDIR)
	sed -e 's|/usr/local/bin/lagwatch|$(BINDIR)/lagwatch|' -e 's|/etc/lagwatch/|$(CONFDIR)/|g' \
	  systemd/lagwatch.service > $(DESTDIR)$(UNITDIR)/lagwatch.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/lagwatch.service
	test -e $(DESTDIR)$(CONFDIR)/lagwatch.yml || install -m 0644 examples/lagwatch.yml $(DESTDIR)$(CONFDIR)/lagwatch.yml
	test -e $(DESTDIR)$(CONFDIR)/lagwatch.env || install -m 0600 examples/lagwatch.env $(DESTDIR)$(CONFDIR)/lagwatch.env
	install -D -m 0644 alerts/lagwatch-rules.yml $(DESTDIR)$(SHAREDIR)/alerts/lagwatch-rules.yml
	install -d $(DESTDIR)$(SHAREDIR)/dashboards/provisioning
	install -m 0644 dashboards/*.json $(DESTDIR)$(SHAREDIR)/dashboards/
	sed 's|/usr/local/share/lagwatch|$(SHAREDIR)|' dashboards/provisioning/lagwatch.yml > $(DESTDIR)$(SHAREDIR)/dashboards/provisioning/lagwatch.yml

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/lagwatch $(DESTDIR)$(UNITDIR)/lagwatch.service
	rm -rf $(DESTDIR)$(SHAREDIR)

test:
	scripts/test.sh
