# bundle.sh: read-only files bundled into images (tools/mkbundle, guest/bundle.c, mkimage -f).

BUNDLE_IMG="$B/tests/guest/bundle_read.img"
BUNDLE_FILES=tests/guest/bundle_read.files

bundle_checks() {
	vm run "$BUNDLE_IMG"
	want_status 0 && want_out out "bundle_read: all ok"
}

# Through the guest's stdout, byte for byte: text, binary (every byte value), nested, empty.
bundle_exact() {
	local f
	for f in hello.txt data.bin sub/dir/nested.txt empty; do
		vm run "$BUNDLE_IMG" -- cat "/$f"
		want_status 0 || return 1
		cmp "$T/out" "$BUNDLE_FILES/$f" || { echo "/$f differs from the host's file"; return 1; }
	done
}

# A user's directory through mkimage -f: a larger file two levels down, read back exactly.
bundle_mkimage() {
	mkdir -p "$T/site/img/deep"
	"$PATTERN" 4 300001 >"$T/site/img/deep/big.bin"
	echo "<h1>hello</h1>" >"$T/site/index.html"
	tools/mkimage -o "$T/app.img" -f "$T/site" tests/guest/bundle_read.c >"$T/build.log" 2>&1 ||
		{ cat "$T/build.log"; return 1; }
	vm run "$T/app.img" -- cat /img/deep/big.bin
	want_status 0 || return 1
	[ "$(sha256sum <"$T/out")" = "$(sha256sum <"$T/site/img/deep/big.bin")" ] ||
		{ echo "/img/deep/big.bin: sha256 differs"; return 1; }
	vm run "$T/app.img" -- cat /index.html
	want_status 0 && want_out out "<h1>hello</h1>" &&
		vm run "$T/app.img" -- absent /hello.txt && want_status 0
}

# Without -f the library's empty table stands in: nothing but "/" is there.
bundle_none() {
	tools/mkimage -o "$T/app.img" tests/guest/bundle_read.c >"$T/build.log" 2>&1 ||
		{ cat "$T/build.log"; return 1; }
	vm run "$T/app.img" -- absent /hello.txt
	want_status 0 && want_out out "/hello.txt is absent"
}

# mkimage_rejects DIR TEXT: mkimage -f DIR fails with one line on stderr containing TEXT.
mkimage_rejects() {
	rm -f "$T/bad.img"
	tools/mkimage -o "$T/bad.img" -f "$1" tests/guest/bundle_read.c >"$T/out" 2>"$T/err"
	ST=$?
	want_status 1 && want_out err "mkimage: " && want_out err "$2" && want_lines err 1 || return 1
	[ ! -e "$T/bad.img" ] || { echo "mkimage -f $1 made an image"; return 1; }
}

bundle_bad_dirs() {
	mkdir -p "$T/quote" "$T/newline" "$T/dangling/sub" "$T/fifo"
	touch "$T/file" "$T/quote/a\"b.txt" "$T/newline/a
b"
	ln -s "$T/nowhere" "$T/dangling/sub/link"
	mkfifo "$T/fifo/pipe"
	mkimage_rejects "$T/missing" "missing: No such file or directory" &&
		mkimage_rejects "$T/file" "file: not a directory" &&
		mkimage_rejects "$T/quote" 'a"b.txt: unsupported character in the name' &&
		mkimage_rejects "$T/newline" "unsupported character in the name" &&
		mkimage_rejects "$T/dangling" "sub/link: No such file or directory" &&
		mkimage_rejects "$T/fifo" "pipe: not a regular file or a directory" || return 1
	# root reads anything: an unreadable file can only be tested as another user.
	[ "$(id -u)" = 0 ] && return 0
	mkdir -p "$T/locked" && echo secret >"$T/locked/key" && chmod 000 "$T/locked/key"
	mkimage_rejects "$T/locked" "key: Permission denied"
}

tk "bundled files: read, pread, lseek, fstat, stat, access, EROFS, ENOENT, subdirectories" bundle_checks
tk "bundled files read back byte for byte (text, binary, nested, empty)" bundle_exact
tk "mkimage -f DIR bundles a directory" bundle_mkimage
tk "an image without bundled files has none" bundle_none
t "mkimage -f: a missing dir, a file, bad names, a dangling link, a FIFO: one error line" \
	bundle_bad_dirs
