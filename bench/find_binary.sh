# Sourced by the scripts in bench/: `lahza_binary PATH` prints PATH (relative to
# a build folder) inside $LAHZA_BUILD when that is set, else inside the first of
# build-rel, build/release (what ./test builds) and build that has it; fails
# with a hint when none does.
lahza_binary() {
  local root candidates b
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  if [ -n "${LAHZA_BUILD:-}" ]; then
    candidates=("$LAHZA_BUILD")
  else
    candidates=("$root/build-rel" "$root/build/release" "$root/build")
  fi
  for b in "${candidates[@]}"; do
    if [ -x "$b/$1" ]; then
      echo "$b/$1"
      return 0
    fi
  done
  echo "no $1 in ${candidates[*]}: build it first (cmake -DLAHZA_BENCH=ON, then cmake --build)" >&2
  return 1
}
