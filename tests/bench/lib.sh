# tests/bench/lib.sh — sourced by the bench scripts (bash), never run alone.
#
# Sets B (build dir), BENCH (where the figures go: $B/bench), top (the
# repository) and WIRELAB_LABS when the binary would not find labs/ itself;
# gives a microsecond clock without forking, medians, JSON numbers and the
# target lines that run.sh gathers into the table and bench.json.

B=${B:-build}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top" || exit 2
case $B in
/*) ;;
*) B=$top/$B ;;
esac
BENCH=$B/bench
mkdir -p "$BENCH"
# A build directory outside the tree (B=/tmp/x) has no labs/ beside it.
if [ -z "${WIRELAB_LABS:-}" ] && [ ! -d "$B/../labs" ]; then
	export WIRELAB_LABS=$top/labs
fi

# Microseconds, from bash's own clock: `date +%s%N` forks, ~2 ms a call here,
# as much as a whole `ip -batch` step.
now_us() {
	local t=$EPOCHREALTIME
	echo "${t/./}"
}

# median FILE: the median (lower middle) of the numbers in FILE, one a line.
median() {
	sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "null" }'
}

# fmt NUMBER DECIMALS: a number for the table ("-" for null).
fmt() {
	if [ "$1" = null ] || [ -z "$1" ]; then
		echo "-"
	else
		awk -v v="$1" -v d="$2" 'BEGIN { printf "%.*f", d, v }'
	fi
}

# jnum VALUE: VALUE as a JSON number, or null.
jnum() {
	case $1 in
	'' | null | - | nan | inf) echo null ;;
	*) awk -v v="$1" 'BEGIN { printf "%.6g", v }' ;;
	esac
}

# jstr TEXT: TEXT as a JSON string (quotes and backslashes escaped).
jstr() {
	printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr '\n\t' '  ')"
}

# div A B: A / B, or null.
div() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b == "null" || b + 0 == 0) print "null"; else printf "%.6g", a / b }'
}

# target NAME MEASURED OP LIMIT UNIT TEXT: one line of the targets table
# (issue 10); OP is >= or <=. Also prints it.
target() {
	local holds
	holds=$(awk -v m="$2" -v op="$3" -v l="$4" 'BEGIN {
		if (m == "null") { print "unknown"; exit }
		if (op == ">=") print (m + 0 >= l + 0) ? "holds" : "fails"
		else print (m + 0 <= l + 0) ? "holds" : "fails" }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$holds" "$6" >>"$BENCH/targets.tsv"
	printf '  target %-28s %10s %s %s %-4s %s\n' "$1" "$(fmt "$2" 2)" "$3" "$4" "$5" "$holds"
}

# load: the 1-minute load average (the machine is shared and noisy).
load() {
	cut -d' ' -f1 /proc/loadavg
}
