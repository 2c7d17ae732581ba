package vmtest

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// A cpioWriter writes an initramfs as a "newc" cpio archive (the format the
// kernel's initramfs unpacker reads; see the kernel's
// Documentation/driver-api/early-userspace/buffer-format.rst). Parent
// directories are created automatically, before the entries inside them.
//
// Errors are sticky: after the first one every call does nothing and Close
// returns it.
type cpioWriter struct {
	w    *bufio.Writer
	n    int64 // bytes written so far, for alignment
	ino  uint32
	dirs map[string]bool
	err  error
}

// newCPIOWriter returns a writer of a newc archive to w.
func newCPIOWriter(w io.Writer) *cpioWriter {
	return &cpioWriter{w: bufio.NewWriterSize(w, 1<<16), dirs: map[string]bool{"": true, ".": true}}
}

// cpio mode bits (from <linux/stat.h>).
const (
	cpioModeDir  = 0o040000
	cpioModeFile = 0o100000
	cpioModeLink = 0o120000
	cpioModeChar = 0o020000
)

type cpioHeader struct {
	mode         uint32
	nlink        uint32
	size         uint32
	rmaj, rmin   uint32
	name         string
	data         io.Reader
	sizeFromData bool
}

// clean turns a path into the archive's form: relative, slash-separated,
// no "." or ".." elements.
func cpioClean(name string) (string, error) {
	c := strings.TrimPrefix(path.Clean("/"+name), "/")
	if c == "" || c == "." {
		return "", fmt.Errorf("vmtest: cpio: empty entry name %q", name)
	}
	return c, nil
}

func (c *cpioWriter) write(b []byte) {
	if c.err != nil {
		return
	}
	var n int
	n, c.err = c.w.Write(b)
	c.n += int64(n)
}

func (c *cpioWriter) pad() {
	if r := c.n % 4; r != 0 {
		c.write(make([]byte, 4-r))
	}
}

func (c *cpioWriter) entry(h cpioHeader) {
	if c.err != nil {
		return
	}
	c.ino++
	ino := c.ino
	if h.name == "TRAILER!!!" {
		ino = 0
	}
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, h.mode, 0, 0, h.nlink, 0, h.size, 0, 0, h.rmaj, h.rmin, len(h.name)+1, 0)
	c.write([]byte(hdr))
	c.write([]byte(h.name))
	c.write([]byte{0})
	c.pad()
	if h.data != nil && c.err == nil {
		var n int64
		n, c.err = io.Copy(c.w, io.LimitReader(h.data, int64(h.size)))
		c.n += n
		if c.err == nil && n != int64(h.size) {
			c.err = fmt.Errorf("vmtest: cpio: %s: short data, %d of %d bytes", h.name, n, h.size)
		}
	}
	c.pad()
}

// parents creates the missing parent directories of name.
func (c *cpioWriter) parents(name string) {
	dir := path.Dir(name)
	if c.dirs[dir] {
		return
	}
	c.parents(dir)
	c.dirs[dir] = true
	c.entry(cpioHeader{mode: cpioModeDir | 0o755, nlink: 2, name: dir})
}

// Dir adds a directory.
func (c *cpioWriter) Dir(name string, perm fs.FileMode) {
	name, err := cpioClean(name)
	if err != nil {
		c.fail(err)
		return
	}
	if c.dirs[name] {
		return
	}
	c.parents(name)
	c.dirs[name] = true
	c.entry(cpioHeader{mode: cpioModeDir | uint32(perm.Perm()), nlink: 2, name: name})
}

// File adds a regular file of the given size whose contents r supplies.
func (c *cpioWriter) File(name string, perm fs.FileMode, size int64, r io.Reader) {
	name, err := cpioClean(name)
	if err != nil {
		c.fail(err)
		return
	}
	if size < 0 || size > 1<<32-1 {
		c.fail(fmt.Errorf("vmtest: cpio: %s: size %d does not fit newc's 32 bits", name, size))
		return
	}
	c.parents(name)
	c.entry(cpioHeader{mode: cpioModeFile | uint32(perm.Perm()), nlink: 1, size: uint32(size), name: name, data: r})
}

// Bytes adds a regular file holding b.
func (c *cpioWriter) Bytes(name string, perm fs.FileMode, b []byte) {
	c.File(name, perm, int64(len(b)), strings.NewReader(string(b)))
}

// Symlink adds a symbolic link name pointing at target.
func (c *cpioWriter) Symlink(name, target string) {
	name, err := cpioClean(name)
	if err != nil {
		c.fail(err)
		return
	}
	c.parents(name)
	c.entry(cpioHeader{mode: cpioModeLink | 0o777, nlink: 1, size: uint32(len(target)), name: name, data: strings.NewReader(target)})
}

// CharDev adds a character device node.
func (c *cpioWriter) CharDev(name string, perm fs.FileMode, major, minor uint32) {
	name, err := cpioClean(name)
	if err != nil {
		c.fail(err)
		return
	}
	c.parents(name)
	c.entry(cpioHeader{mode: cpioModeChar | uint32(perm.Perm()), nlink: 1, rmaj: major, rmin: minor, name: name})
}

func (c *cpioWriter) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// Close writes the trailer, pads the archive to a multiple of 512 bytes and
// flushes. It does not close the underlying writer.
func (c *cpioWriter) Close() error {
	c.entry(cpioHeader{nlink: 1, name: "TRAILER!!!"})
	if r := c.n % 512; r != 0 {
		c.write(make([]byte, 512-r))
	}
	if c.err != nil {
		return c.err
	}
	return c.w.Flush()
}
