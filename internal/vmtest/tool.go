package vmtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strings"

	"github.com/nl2tp/nl2tp/internal/vmtest/guest"
)

// This file holds what the rig's host tools (vmrun, golden, kbench and the
// demo) share besides booting: their main function, flag handling, the
// module root and cache folder, building a program to run in the VM and
// reading a VM program's reports off
// the console.

// Main is the main function of a host tool called name: it calls run with
// the command-line arguments, the standard output and error and a context
// that an interrupt (Ctrl-C) cancels. On error it prints "name: error" on
// the standard error and exits with status 1.
func Main(name string, run func(ctx context.Context, args []string, stdout, stderr io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// ParseFlags parses args with fs (made with flag.ContinueOnError) and
// refuses positional arguments. It reports false when the tool should
// stop: with a nil error after -h (fs has printed the usage), otherwise
// with the error.
func ParseFlags(fs *flag.FlagSet, args []string) (bool, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return false, nil
		}
		return false, err
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return true, nil
}

// SplitList splits a comma-separated flag value, trimming spaces and
// dropping empty items.
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// KernelLines returns the kernel lines of a -kernels flag value (see
// SplitList); none is an error.
func KernelLines(s string) ([]string, error) {
	lines := SplitList(s)
	if len(lines) == 0 {
		return nil, errors.New("-kernels: no kernel line")
	}
	return lines, nil
}

// Folders returns the module root, the folder holding go.mod found from
// the working folder up, and the cache folder for Fetch: cache, or .cache
// in the module root when cache is "" (the default of the tools' -cache
// flag).
func Folders(cache string) (root, cacheDir string, err error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", "", errors.New("no go.mod in the working folder or above")
		}
		dir = parent
	}
	if cache == "" {
		cache = filepath.Join(dir, ".cache")
	}
	return dir, cache, nil
}

// BuildCommand builds what RunCommand needs to run the main package pkg
// of the module at root: the rig's /init (BuildInit) at dir/vminit and pkg
// (Build) at dir/<last element of pkg>. It returns both paths.
func BuildCommand(ctx context.Context, root, pkg, dir string) (initBin, prog string, err error) {
	initBin, prog = filepath.Join(dir, "vminit"), filepath.Join(dir, path.Base(pkg))
	if err := BuildInit(ctx, root, initBin); err != nil {
		return "", "", err
	}
	if err := Build(ctx, root, pkg, prog); err != nil {
		return "", "", err
	}
	return initBin, prog, nil
}

// A Reports is a Config.Console for a program run with RunCommand that
// reports to the host in console lines written by guest.MarkedLine: one
// line after InfoMark, decoded into Info, and any number after ItemMark,
// decoded into Items in order. It copies the console's other lines to Log,
// each after Prefix: all of them with Verbose, otherwise only those that
// start with Show (the program's own messages, as "capture:") or with
// guest.MarkError. Each Write must hold whole lines, as the console's do.
type Reports[I, T any] struct {
	InfoMark, ItemMark string
	Prefix             string
	Log                io.Writer
	Verbose            bool
	Show               string

	Info  *I    // the last info line; nil if there was none
	Items []T   // the item lines
	Err   error // the first marked line that did not decode
}

func (r *Reports[I, T]) Write(b []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		var info I
		if ok, err := guest.ParseMarkedLine(l, r.InfoMark, &info); ok {
			r.fail(err)
			r.Info = &info
			continue
		}
		var item T
		if ok, err := guest.ParseMarkedLine(l, r.ItemMark, &item); ok {
			r.fail(err)
			r.Items = append(r.Items, item)
			continue
		}
		if r.Verbose || r.Show != "" && strings.HasPrefix(l, r.Show) || strings.HasPrefix(l, guest.MarkError) {
			fmt.Fprintf(r.Log, "%s%s\n", r.Prefix, l)
		}
	}
	return len(b), nil
}

func (r *Reports[I, T]) fail(err error) {
	if err != nil && r.Err == nil {
		r.Err = err
	}
}
