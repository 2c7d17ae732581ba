package vmtest

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nl2tp/nl2tp/internal/vmtest/guest"
)

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" , ,", nil},
		{"6.1", []string{"6.1"}},
		{" 6.1 ,, 6.12 ", []string{"6.1", "6.12"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, SplitList(tt.in)); diff != "" {
			t.Errorf("SplitList(%q): unexpected items (-want +got):\n%s", tt.in, diff)
		}
	}
	if _, err := KernelLines(" , "); err == nil || !strings.Contains(err.Error(), "-kernels") {
		t.Errorf("KernelLines of no line: got %v, want an error naming -kernels", err)
	}
	if got, err := KernelLines("6.12,6.1"); err != nil || !cmp.Equal(got, []string{"6.12", "6.1"}) {
		t.Errorf("KernelLines(6.12,6.1) = %q, %v", got, err)
	}
}

func TestParseFlags(t *testing.T) {
	newFS := func() (*flag.FlagSet, *int) {
		fs := flag.NewFlagSet("tool", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		return fs, fs.Int("n", 1, "")
	}
	fs, n := newFS()
	if ok, err := ParseFlags(fs, []string{"-n", "7"}); !ok || err != nil || *n != 7 {
		t.Errorf("ParseFlags(-n 7) = %v, %v with n %d; want true, nil, 7", ok, err, *n)
	}
	fs, _ = newFS()
	if ok, err := ParseFlags(fs, []string{"-h"}); ok || err != nil {
		t.Errorf("ParseFlags(-h) = %v, %v; want false, nil", ok, err)
	}
	fs, _ = newFS()
	if ok, err := ParseFlags(fs, []string{"-x"}); ok || err == nil {
		t.Errorf("ParseFlags(-x) = %v, %v; want false and an error", ok, err)
	}
	fs, _ = newFS()
	if ok, err := ParseFlags(fs, []string{"-n", "2", "extra"}); ok || err == nil || !strings.Contains(err.Error(), "extra") {
		t.Errorf("ParseFlags with an argument = %v, %v; want false and an error naming it", ok, err)
	}
}

func TestFolders(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	// This package is internal/vmtest in the module.
	wantRoot := filepath.Dir(filepath.Dir(wd))
	root, cache, err := Folders("")
	if err != nil {
		t.Fatal(err)
	}
	if root != wantRoot || cache != filepath.Join(wantRoot, ".cache") {
		t.Errorf("Folders(\"\") = %s, %s; want %s and its .cache", root, cache, wantRoot)
	}
	if _, cache, err := Folders("/some/cache"); err != nil || cache != "/some/cache" {
		t.Errorf("Folders(/some/cache) gave cache %s, %v", cache, err)
	}
	t.Chdir(t.TempDir())
	if _, _, err := Folders(""); err == nil {
		t.Error("Folders found a module root above a temporary folder")
	}
}

func TestReports(t *testing.T) {
	type info struct{ Release string }
	type item struct{ N int }
	var log bytes.Buffer
	r := &Reports[info, item]{InfoMark: "I ", ItemMark: "T ", Prefix: "[k] ", Log: &log, Show: "prog:"}
	var console strings.Builder
	for _, v := range []any{item{1}, item{2}, info{"6.12"}} {
		mark := "T "
		if _, ok := v.(info); ok {
			mark = "I "
		}
		l, err := guest.MarkedLine(mark, v)
		if err != nil {
			t.Fatal(err)
		}
		console.WriteString(l)
	}
	console.WriteString("[    1.0] a kernel message\nprog: a message\n" + guest.MarkError + " trouble\n")
	if n, err := r.Write([]byte(console.String())); n != console.Len() || err != nil {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, console.Len())
	}
	if r.Err != nil || r.Info == nil || r.Info.Release != "6.12" {
		t.Errorf("got info %+v, error %v; want release 6.12 and no error", r.Info, r.Err)
	}
	if diff := cmp.Diff([]item{{1}, {2}}, r.Items); diff != "" {
		t.Errorf("unexpected items (-want +got):\n%s", diff)
	}
	if want := "[k] prog: a message\n[k] " + guest.MarkError + " trouble\n"; log.String() != want {
		t.Errorf("log %q, want %q", log.String(), want)
	}

	log.Reset()
	r.Verbose = true
	r.Write([]byte("T {bad\nT {\"N\": 3}\nanything\n"))
	if r.Err == nil || len(r.Items) != 4 || r.Items[3].N != 3 {
		t.Errorf("after a bad line: error %v, items %+v; want an error and both lines kept", r.Err, r.Items)
	}
	if log.String() != "[k] anything\n" {
		t.Errorf("verbose log %q, want the unmarked line", log.String())
	}
	first := r.Err
	r.Write([]byte("I [\n"))
	if r.Err != first {
		t.Errorf("a second bad line replaced the first error: %v", r.Err)
	}
}
