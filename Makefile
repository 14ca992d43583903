# Installs cnm like a Unix tool: the binary, the man page, the bash/zsh/fish
# completions (each where its shell looks) and the systemd units.
#   make                         build dist/cnm
#   make install [PREFIX=/usr/local] [DESTDIR=/staging]
#   make uninstall [PREFIX=...] [DESTDIR=...]     removes exactly what install put
#   make deb [DEB_OUT=dist]      a .deb (dpkg-deb) of the same layout under /usr
PREFIX ?= /usr/local
DESTDIR ?=
DEB_OUT ?= dist

BINDIR  = $(PREFIX)/bin
MANDIR  = $(PREFIX)/share/man/man1
BASHDIR = $(PREFIX)/share/bash-completion/completions
ZSHDIR  = $(PREFIX)/share/zsh/site-functions
FISHDIR = $(PREFIX)/share/fish/vendor_completions.d
UNITDIR = $(PREFIX)/lib/systemd/system
UNITS   = $(notdir $(wildcard contrib/*.service))

# Every file install puts, as the installed system sees it (without DESTDIR).
FILES = $(BINDIR)/cnm $(MANDIR)/cnm.1 $(BASHDIR)/cnm $(ZSHDIR)/_cnm $(FISHDIR)/cnm.fish $(addprefix $(UNITDIR)/,$(UNITS))

VERSION = $(shell node -p "require('./package.json').version")
ARCH = $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB = $(DEB_OUT)/cnm_$(VERSION)_$(ARCH).deb

.PHONY: all install uninstall deb
all: dist/cnm

dist/cnm:
	npm run build

install: dist/cnm
	install -D -m 0755 dist/cnm $(DESTDIR)$(BINDIR)/cnm
	install -D -m 0644 man/cnm.1 $(DESTDIR)$(MANDIR)/cnm.1
	install -D -m 0644 completions/cnm.bash $(DESTDIR)$(BASHDIR)/cnm
	install -D -m 0644 completions/_cnm $(DESTDIR)$(ZSHDIR)/_cnm
	install -D -m 0644 completions/cnm.fish $(DESTDIR)$(FISHDIR)/cnm.fish
	@# The units name the binary where this install puts it.
	for u in $(UNITS); do \
	  install -d $(DESTDIR)$(UNITDIR) && \
	  sed 's#/usr/local/bin/cnm#$(BINDIR)/cnm#g' contrib/$$u > $(DESTDIR)$(UNITDIR)/$$u && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done

uninstall:
	rm -f $(addprefix $(DESTDIR),$(FILES))

deb: dist/cnm
	rm -rf $(DEB_OUT)/deb-root
	$(MAKE) install PREFIX=/usr DESTDIR=$(abspath $(DEB_OUT))/deb-root
	mkdir -p $(DEB_OUT)/deb-root/DEBIAN
	printf '%s\n' \
	  'Package: cnm' \
	  'Version: $(VERSION)' \
	  'Architecture: $(ARCH)' \
	  'Maintainer: cnm developers <cnm@localhost>' \
	  'Depends: iproute2, nftables' \
	  'Section: net' \
	  'Priority: optional' \
	  'Description: container networks without a container engine' \
	  ' A daemonless CLI that builds networks, sandboxes and endpoints the way' \
	  " Docker's Container Network Model describes them." \
	  > $(DEB_OUT)/deb-root/DEBIAN/control
	dpkg-deb --root-owner-group -Zgzip -z1 --build $(DEB_OUT)/deb-root $(DEB)
	rm -rf $(DEB_OUT)/deb-root
