# Sourced by bench/run.sh and bench/lua/run.sh: find_lib NAME prints the
# path of the shared library NAME (a 64-bit one first), or nothing.
find_lib() {
  local name="$1" path
  path="$( (ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true) |
           awk -v n="$name" '$1 == n && /x86-64|x86_64|64bit|AArch64/ { print $NF; exit }')"
  if [ -z "$path" ]; then
    path="$( (ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true) |
             awk -v n="$name" '$1 == n { print $NF; exit }')"
  fi
  if [ -z "$path" ]; then
    for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib /usr/local/lib; do
      if [ -e "$d/$name" ]; then path="$d/$name"; break; fi
    done
  fi
  printf '%s' "$path"
}
