#!/bin/sh
# tests/pcap/ssh-make-pcaps.sh — how the SSH captures under tests/pcap/ were
# made, for the record (CI does not run it: the captures are checked in).
#
#   sudo sh tests/pcap/ssh-make-pcaps.sh [OUTDIR]      (default: tests/pcap)
#
# Needs root, OpenSSH (sshd, ssh, ssh-keygen), tcpdump, python3 and
# build/labs/wl-ssh-client (make). Everything happens in a network and mount
# namespace of its own (unshare -m -n: only `lo`, gone with the script):
#   - the real sshd of Debian, on 127.0.0.1:22 of that namespace, with a
#     config, host keys (ed25519 and RSA) and an authorized key generated into
#     a temp dir; its privilege separation directory /run/sshd and an empty
#     /root exist only in the namespace (tmpfs), so neither the host's sshd
#     nor root's files (~/.ssh, the shell's start-up files) play any part;
#   - every session runs one script (ForceCommand) that gives the remote side
#     the same environment each time: env -i, LANG=C, TERM=dumb, PS1='wl$ ',
#     /bin/sh, a home with two files for `ls`;
#   - the clients: OpenSSH's ssh -vv (its "kex:" lines are kept beside the
#     capture as NAME.vv) and wl-ssh-client (its --report as NAME.report),
#     the two oracles tests/integration/ssh_oracle.sh holds wirelab's
#     ssh.negotiated.* to.
# The bad-*.pcap variants are copies with one length field overwritten.
set -eu

if [ -z "${WL_SSH_PCAPS_NETNS:-}" ]; then
	export WL_SSH_PCAPS_NETNS=1
	exec unshare -m -n sh "$0" "$@"
fi

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$(cd "${1:-$here}" && pwd)
client=$top/${B:-build}/labs/wl-ssh-client
[ -x "$client" ] || { echo "$client is missing: run make first" >&2; exit 1; }

# Only in this mount namespace.
mount --make-rprivate /
mount -t tmpfs -o mode=755 wl-ssh-run /run
mkdir -m 755 /run/sshd
mount -t tmpfs -o mode=700 wl-ssh-root /root

tmp=$(mktemp -d /tmp/wl-ssh-pcaps.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ip link set lo up

# ---- the server ----
ssh-keygen -q -t ed25519 -N '' -C wl-host -f "$tmp/host_ed25519"
ssh-keygen -q -t rsa -b 2048 -N '' -C wl-host -f "$tmp/host_rsa"
ssh-keygen -q -t ed25519 -N '' -C wl-client -f "$tmp/client_ed25519"
cp "$tmp/client_ed25519.pub" "$tmp/authorized_keys"
mkdir "$tmp/home"
printf 'one\n' >"$tmp/home/notes.txt"
printf 'two\n' >"$tmp/home/todo.txt"
cat >"$tmp/session.sh" <<EOF
#!/bin/sh
cd "$tmp/home" || exit 1
if [ -n "\${SSH_ORIGINAL_COMMAND:-}" ]; then
	exec env -i HOME="$tmp/home" PATH=/usr/bin:/bin LANG=C TERM=dumb /bin/sh -c "\$SSH_ORIGINAL_COMMAND"
fi
exec env -i HOME="$tmp/home" PATH=/usr/bin:/bin LANG=C TERM=dumb PS1='wl\$ ' /bin/sh -i
EOF
chmod 755 "$tmp/session.sh"
cat >"$tmp/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port 22
HostKey $tmp/host_ed25519
HostKey $tmp/host_rsa
AuthorizedKeysFile $tmp/authorized_keys
PidFile $tmp/sshd.pid
UsePAM no
PermitRootLogin prohibit-password
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PrintMotd no
PrintLastLog no
UseDNS no
ForceCommand $tmp/session.sh
EOF
/usr/sbin/sshd -D -e -f "$tmp/sshd_config" 2>"$tmp/sshd.log" &
pids="$pids $!"
n=0
until [ -s "$tmp/sshd.pid" ]; do
	n=$((n + 1))
	[ $n -lt 100 ] || { echo "sshd did not start:" >&2; cat "$tmp/sshd.log" >&2; exit 1; }
	sleep 0.05
done

# ---- capturing ----
tcpd=""
cap_start() { # FILE [tcpdump options...]
	f=$1
	shift
	: >"$tmp/tcpdump.log"
	tcpdump -i lo -n -U --immediate-mode -Z root -w "$f" "$@" 'tcp port 22' \
		2>"$tmp/tcpdump.log" &
	tcpd=$!
	n=0
	until grep -q 'listening on' "$tmp/tcpdump.log"; do
		n=$((n + 1))
		[ $n -lt 100 ] || { echo "tcpdump did not start" >&2; exit 1; }
		sleep 0.05
	done
}
cap_stop() {
	sleep 0.3
	kill -INT "$tcpd"
	wait "$tcpd" || true
}

# OpenSSH's client, knowing nothing of root's files; -vv goes to NAME.log.
sshc() { # NAME [ssh options...] -- COMMAND
	name=$1
	shift
	ssh -vv -F /dev/null -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=no -o IdentitiesOnly=yes -o BatchMode=yes \
		-i "$tmp/client_ed25519" -p 22 -l root "$@" 2>"$tmp/$name.log" || true
	# (ssh ends its debug lines with CR LF)
	grep '^debug1: kex: ' "$tmp/$name.log" | sed 's/^debug1: //; s/\r$//' >"$out/$name.vv" || true
}

# OpenSSH's defaults: sntrup761x25519-sha512, chacha20-poly1305, the
# client's ssh-ed25519 before the server's rsa-sha2-512.
cap_start "$out/ssh-openssh-exec.pcap"
sshc ssh-openssh-exec 127.0.0.1 'echo hi'
cap_stop

# curve25519 (Wireshark's "Elliptic Curve" names) with AES-GCM (<implicit> MAC).
cap_start "$out/ssh-openssh-curve25519-gcm.pcap"
sshc ssh-openssh-curve25519-gcm -o KexAlgorithms=curve25519-sha256 \
	-o Ciphers=aes256-gcm@openssh.com 127.0.0.1 'echo hi'
cap_stop

# Plain Diffie-Hellman, a cipher with a MAC of its own, zlib compression, and
# the client's host key order: rsa-sha2-256 first.
cap_start "$out/ssh-openssh-dh-ctr.pcap"
sshc ssh-openssh-dh-ctr -o KexAlgorithms=diffie-hellman-group14-sha256 \
	-o Ciphers=aes128-ctr -o MACs=hmac-sha2-256,hmac-sha1 -o Compression=yes \
	-o HostKeyAlgorithms=rsa-sha2-256,ssh-ed25519 127.0.0.1 'echo hi'
cap_stop

# Diffie-Hellman group exchange (RFC 4419: messages 34, 31, 32, 33) with an
# encrypt-then-MAC MAC.
cap_start "$out/ssh-openssh-gex.pcap"
sshc ssh-openssh-gex -o KexAlgorithms=diffie-hellman-group-exchange-sha256 \
	-o Ciphers=aes256-ctr -o MACs=hmac-sha2-512-etm@openssh.com 127.0.0.1 'echo hi'
cap_stop

# No common key exchange method: the server offers no diffie-hellman-group1.
cap_start "$out/ssh-openssh-nomatch.pcap"
sshc ssh-openssh-nomatch -o KexAlgorithms=diffie-hellman-group1-sha1 127.0.0.1 'echo hi'
cap_stop

# libssh: an exec request, then an interactive shell typed key by key.
cap_start "$out/ssh-libssh-exec.pcap"
"$client" -H 127.0.0.1 -p 22 -i "$tmp/client_ed25519" -u root --exec ls \
	--report "$out/ssh-libssh-exec.report" >"$tmp/libssh-exec.out"
cap_stop
cap_start "$out/ssh-libssh-shell.pcap"
"$client" -H 127.0.0.1 -p 22 -i "$tmp/client_ed25519" -u root --shell --prompt 'wl$ ' \
	--type 'ls\n' --type 'exit\n' --gap-ms 100 \
	--report "$out/ssh-libssh-shell.report" >"$tmp/libssh-shell.out"
cap_stop

# Cut by the snaplen: 150 bytes keep 84 bytes of each segment's payload.
cap_start "$out/ssh-openssh-trunc.pcap" -s 150
sshc ssh-openssh-trunc -o KexAlgorithms=curve25519-sha256 127.0.0.1 'echo hi'
cap_stop
rm -f "$out/ssh-openssh-trunc.vv"

# ---- lying lengths, written into a copy of the curve25519 capture ----
# The client's KEXINIT packet (its first segment after the identification):
#   bad-length: packet_length 0x7fffffff;
#   bad-namelist: kex_algorithms' length 0x00ffffff (payload offset 22:
#   4 packet_length + 1 padding_length + 1 message code + 16 cookie).
python3 - "$out/ssh-openssh-curve25519-gcm.pcap" "$out" <<'EOF'
import struct, sys

src, out = sys.argv[1], sys.argv[2]
d = bytearray(open(src, "rb").read())
off, recs = 24, []
while off < len(d):
    incl = struct.unpack("<I", d[off + 8:off + 12])[0]
    recs.append((off + 16, incl))
    off += 16 + incl

def tcp_payload(start):
    ihl = (d[start + 14] & 0x0F) * 4
    tcp = start + 14 + ihl
    total = struct.unpack("!H", d[start + 16:start + 18])[0]
    doff = (d[tcp + 12] >> 4) * 4
    return tcp + doff, total - ihl - doff, struct.unpack("!H", d[tcp + 2:tcp + 4])[0]

client_data = [s for s, n in recs if tcp_payload(s)[1] > 0 and tcp_payload(s)[2] == 22]
kexinit = tcp_payload(client_data[1])[0]  # [0] is the identification line
for name, at, value in (("bad-length", 0, 0x7FFFFFFF), ("bad-namelist", 22, 0x00FFFFFF)):
    b = bytearray(d)
    b[kexinit + at:kexinit + at + 4] = struct.pack("!I", value)
    open("%s/ssh-%s.pcap" % (out, name), "wb").write(b)
EOF

echo "made the SSH captures in $out"
