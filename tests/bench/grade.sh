#!/bin/bash
# tests/bench/grade.sh — grading throughput: GRADE_N (50) honest submissions
# of the WebSocket lab with --jobs 2, against their floor: the lab's own time
# (a lone `wirelab run websocket`, median of 3: its round trips and its
# programs' start-up) plus the student's own build (`make` of the
# submission, outside any sandbox, median of 3); and GRADE_N captures with
# answers. Prints wall time and time per submission, and the target line:
# grading's wall / (N x (lone run + build) / jobs), how much wirelab's own
# set-up (copy, sandbox, cgroups, topology) adds.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "$(dirname "$0")/lib.sh"
N=${GRADE_N:-50}
JOBS=2
W=$B/wirelab

if [ "$(id -u)" != 0 ]; then
	echo "grade.sh: needs root (the sandbox, namespaces)" >&2
	exit 3
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/wirelab-bench-XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
mkdir "$work/prog" "$work/cap"
for i in $(seq -w 1 "$N"); do
	ln -s "$top/tests/submissions/honest" "$work/prog/s$i"
	ln -s "$top/tests/submissions/cap-right" "$work/cap/s$i"
done

load0=$(load)
: >"$work/lone"
for r in 1 2 3; do
	t0=$(now_us)
	"$W" run websocket --out "$work/lone-out" >/dev/null 2>&1
	t1=$(now_us)
	echo "$(((t1 - t0) / 1000))" >>"$work/lone"
done
lone_ms=$(median "$work/lone")
: >"$work/build"
for r in 1 2 3; do
	rm -rf "$work/b" && cp -R "$top/tests/submissions/honest" "$work/b"
	t0=$(now_us)
	make -s -C "$work/b" >/dev/null 2>&1
	t1=$(now_us)
	echo "$(((t1 - t0) / 1000))" >>"$work/build"
done
build_ms=$(median "$work/build")

t0=$(now_us)
"$W" grade websocket "$work/prog"/* --jobs "$JOBS" --out "$work/g" >/dev/null 2>&1
rc=$?
t1=$(now_us)
wall_ms=$(((t1 - t0) / 1000))
full=$(awk -F, 'NR > 1 && $2 == $3' "$work/g/gradebook.csv" | wc -l)

t0=$(now_us)
"$W" grade websocket "$work/cap"/* --jobs "$JOBS" --out "$work/c" >/dev/null 2>&1
t1=$(now_us)
cap_ms=$(((t1 - t0) / 1000))
load1=$(load)

per_ms=$(div "$wall_ms" "$N")
ideal_ms=$(awk -v n="$N" -v l="$lone_ms" -v b="$build_ms" -v j="$JOBS" 'BEGIN { printf "%.0f", n * (l + b) / j }')
ratio=$(div "$wall_ms" "$ideal_ms")
setup_ms=$(awk -v w="$wall_ms" -v n="$N" -v j="$JOBS" -v l="$lone_ms" -v b="$build_ms" 'BEGIN { printf "%.0f", w * j / n - l - b }')
echo "grading, $N submissions, --jobs $JOBS (load $load0 -> $load1):"
printf '  %-34s %8s s  (%s ms a submission; %s of %s full marks; exit %s)\n' "programs (the honest server)" \
	"$(fmt "$(div "$wall_ms" 1000)" 2)" "$(fmt "$per_ms" 0)" "$full" "$N" "$rc"
printf '  %-34s %8s s  (a lone lab run: median of 3)\n' "the lab alone" "$(fmt "$(div "$lone_ms" 1000)" 2)"
printf '  %-34s %8s s  (make of the submission: median of 3)\n' "the student's build alone" "$(fmt "$(div "$build_ms" 1000)" 2)"
printf '  %-34s %8s s  (N x (lone run + build) / jobs; wirelab adds %s ms a submission)\n' "the floor" \
	"$(fmt "$(div "$ideal_ms" 1000)" 2)" "$setup_ms"
printf '  %-34s %8s s  (%s ms a submission)\n' "captures with answers" \
	"$(fmt "$(div "$cap_ms" 1000)" 2)" "$(fmt "$(div "$cap_ms" "$N")" 1)"
target grade_vs_labs "$ratio" "<=" 1.3 x "grading wall / (N x (a lone lab run + the build) / jobs)"
{
	echo "{"
	echo "  \"submissions\": $N, \"jobs\": $JOBS, \"load\": [$(jnum "$load0"), $(jnum "$load1")], \"exit_status\": $rc,"
	echo "  \"wall_s\": $(jnum "$(div "$wall_ms" 1000)"), \"per_submission_s\": $(jnum "$(div "$per_ms" 1000)"), \"full_marks\": $full,"
	echo "  \"lone_run_s\": $(jnum "$(div "$lone_ms" 1000)"), \"build_s\": $(jnum "$(div "$build_ms" 1000)"), \"floor_s\": $(jnum "$(div "$ideal_ms" 1000)"), \"ratio\": $(jnum "$ratio"),"
	echo "  \"setup_per_submission_s\": $(jnum "$(div "$setup_ms" 1000)"),"
	echo "  \"captures_wall_s\": $(jnum "$(div "$cap_ms" 1000)"), \"captures_per_submission_s\": $(jnum "$(div "$cap_ms" "$((N * 1000))")")"
	echo "}"
} >"$BENCH/grade.json"
