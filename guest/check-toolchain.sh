#!/bin/sh
# Usage: check-toolchain.sh CC LD. Run by the Makefile before it compiles anything.
# Without gcc-multilib, gcc -m32 still compiles every guest file and only the link fails, with
# "undefined reference to __udivdi3" (64-bit division lives in the 32-bit libgcc). Catch that
# first and name the packages instead.
CC=$1
LD=$2
PACKAGES="apt-get install -y gcc gcc-multilib binutils make"

fail() {
  echo "guest: $1" >&2
  exit 1
}

# CC may be a command with arguments ("ccache gcc"), so it is split on purpose.
# shellcheck disable=SC2086
libgcc=$($CC -m32 -print-libgcc-file-name 2>/dev/null) ||
  fail "cannot run the compiler '$CC'. The guest kernel needs gcc with 32-bit support, binutils and make; on Debian/Ubuntu: $PACKAGES"
command -v "${LD%% *}" >/dev/null 2>&1 ||
  fail "the linker '$LD' is missing. The guest kernel needs binutils; on Debian/Ubuntu: $PACKAGES"

WHY="and the guest kernel's 64-bit arithmetic (__udivdi3 and the like) comes from it"
INSTALL="On Debian/Ubuntu install gcc-multilib (the build also needs gcc, binutils and make): $PACKAGES"
[ -f "$libgcc" ] ||
  fail "the 32-bit libgcc is missing: '$CC -m32 -print-libgcc-file-name' names '$libgcc', which does not exist, $WHY. $INSTALL"

# The file exists; make sure it really links a 32-bit division, as the kernel's link will.
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
printf 'unsigned long long div64(unsigned long long a, unsigned long long b) { return a / b; }\n' >"$tmp/t.c"
# shellcheck disable=SC2086
if ! $CC -m32 -ffreestanding -fno-pie -O2 -c "$tmp/t.c" -o "$tmp/t.o" >"$tmp/log" 2>&1 ||
  ! $LD -m elf_i386 -nostdlib -static -e div64 -o "$tmp/t.elf" "$tmp/t.o" "$libgcc" >>"$tmp/log" 2>&1; then
  sed 's/^/  /' "$tmp/log" >&2
  fail "the 32-bit libgcc is missing or unusable: a 32-bit test program does not link against '$libgcc' (output above), $WHY. $INSTALL"
fi
