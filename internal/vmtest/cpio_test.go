package vmtest

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type cpioEntry struct {
	Name       string
	Mode       uint32
	Data       string
	RMaj, RMin uint32
}

// readCPIO parses a newc archive, checking its alignment rules.
func readCPIO(t *testing.T, b []byte) []cpioEntry {
	t.Helper()
	var out []cpioEntry
	off := 0
	for {
		if off%4 != 0 {
			t.Fatalf("entry at offset %d is not 4-byte aligned", off)
		}
		if len(b) < off+110 {
			t.Fatalf("archive ends at %d without a trailer", len(b))
		}
		h := b[off : off+110]
		if string(h[:6]) != "070701" {
			t.Fatalf("bad magic %q at offset %d", h[:6], off)
		}
		field := func(i int) uint32 {
			v, err := strconv.ParseUint(string(h[6+8*i:14+8*i]), 16, 32)
			if err != nil {
				t.Fatalf("bad header field %d at offset %d: %v", i, off, err)
			}
			return uint32(v)
		}
		mode, size, rmaj, rmin, namesize := field(1), field(6), field(9), field(10), field(11)
		name := string(b[off+110 : off+110+int(namesize)])
		if !strings.HasSuffix(name, "\x00") {
			t.Fatalf("name %q not NUL-terminated", name)
		}
		name = strings.TrimSuffix(name, "\x00")
		off += 110 + int(namesize)
		off = (off + 3) &^ 3
		data := string(b[off : off+int(size)])
		off += int(size)
		off = (off + 3) &^ 3
		if name == "TRAILER!!!" {
			if len(b)%512 != 0 {
				t.Errorf("archive of %d bytes is not padded to 512", len(b))
			}
			for _, c := range b[off:] {
				if c != 0 {
					t.Fatalf("non-zero byte after the trailer")
				}
			}
			return out
		}
		out = append(out, cpioEntry{Name: name, Mode: mode, Data: data, RMaj: rmaj, RMin: rmin})
	}
}

func TestCPIOWriter(t *testing.T) {
	var buf bytes.Buffer
	c := newCPIOWriter(&buf)
	c.Dir("/dev", 0o755)
	c.CharDev("dev/console", 0o600, 5, 1)
	c.Bytes("/init", 0o755, []byte("hello"))
	c.Bytes("src/l2tp/testdata/x.bin", 0o644, []byte("1234"))
	c.Symlink("bin/sh", "busybox")
	c.Dir("src/l2tp", 0o755) // already made as a parent
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	want := []cpioEntry{
		{Name: "dev", Mode: 0o040755},
		{Name: "dev/console", Mode: 0o020600, RMaj: 5, RMin: 1},
		{Name: "init", Mode: 0o100755, Data: "hello"},
		{Name: "src", Mode: 0o040755},
		{Name: "src/l2tp", Mode: 0o040755},
		{Name: "src/l2tp/testdata", Mode: 0o040755},
		{Name: "src/l2tp/testdata/x.bin", Mode: 0o100644, Data: "1234"},
		{Name: "bin", Mode: 0o040755},
		{Name: "bin/sh", Mode: 0o120777, Data: "busybox"},
	}
	if diff := cmp.Diff(want, readCPIO(t, buf.Bytes())); diff != "" {
		t.Errorf("unexpected archive (-want +got):\n%s", diff)
	}
}

func TestCPIOWriterErrors(t *testing.T) {
	tests := []struct {
		name string
		do   func(c *cpioWriter)
		want string
	}{
		{"empty name", func(c *cpioWriter) { c.Bytes("/", 0o644, nil) }, "empty entry name"},
		{"short data", func(c *cpioWriter) { c.File("f", 0o644, 10, strings.NewReader("abc")) }, "short data, 3 of 10 bytes"},
		{"too big", func(c *cpioWriter) { c.File("f", 0o644, 1<<32, strings.NewReader("")) }, "does not fit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			c := newCPIOWriter(&buf)
			tt.do(c)
			c.Bytes("after", 0o644, []byte("x")) // sticky: ignored
			err := c.Close()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Close() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestCPIOAlignment(t *testing.T) {
	// Names and data of every length modulo 4 keep entries aligned.
	var buf bytes.Buffer
	c := newCPIOWriter(&buf)
	var want []cpioEntry
	for i := range 8 {
		name := strings.Repeat("n", i+1)
		data := strings.Repeat("d", i)
		c.Bytes(name, 0o600, []byte(data))
		want = append(want, cpioEntry{Name: name, Mode: 0o100600, Data: data})
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, readCPIO(t, buf.Bytes())); diff != "" {
		t.Errorf("unexpected archive (-want +got):\n%s", diff)
	}
}
