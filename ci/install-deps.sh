#!/bin/sh
# Installs every Debian package wirelab needs to build, run its labs and run its
# tests. Idempotent: quiet and quick when everything is already there.
set -eu

PKGS="build-essential pkg-config
libnl-3-dev libnl-route-3-dev libnl-nf-3-dev libnl-idiag-3-dev
libnetfilter-queue-dev libpcap-dev libssl-dev libssh-dev libcmocka-dev
iptables iproute2 curl tcpdump tshark nginx-light openssh-server openssh-client
clang clang-format libclang-rt-14-dev node-ws chromium bubblewrap libxml2-utils"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing; run as root (sudo make ...)" >&2
	exit 3
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; the answer does not matter here.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
# Packages such as nginx and openssh-server start their service when
# installed; wirelab starts its own copies in lab namespaces and must not leave
# the host running new services. policy-rc.d 101 = "do not start".
added_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	added_policy=1
fi
trap 'if [ -n "$added_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
