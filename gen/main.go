// Command gen turns the kernel's uapi header linux/l2tp.h into the Go
// constants and typed attribute codecs of package l2tp: l2tp/zl2tp.go (the
// enums, the _MAX values and the generic netlink family) and l2tp/zattr.go
// (the wire type of every attribute and its put/get helpers).
//
// It parses the header itself (see parse.go) rather than with cgo or a C
// compiler. The C→Go names follow a rule with a small table of exceptions,
// and the wire types come from the header's comments with an override table
// for the comments that are wrong or vague (see model.go). Anything it cannot
// map stops it with an error naming the header line.
//
// Usage, from package l2tp's go:generate directive:
//
//	go run ../gen [-header /usr/include/linux/l2tp.h] [-out .]
package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// defaultHeader is where Debian's linux-libc-dev installs the header.
const defaultHeader = "/usr/include/linux/l2tp.h"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	header := fs.String("header", defaultHeader, "the `path` of linux/l2tp.h")
	out := fs.String("out", ".", "the `directory` to write z*.go into")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fs.SetOutput(os.Stderr)
			fmt.Fprintln(os.Stderr, "usage: gen [-header path] [-out dir]")
			fs.PrintDefaults()
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	src, err := os.ReadFile(*header)
	if err != nil {
		return err
	}
	files, err := generate(src)
	if err != nil {
		return fmt.Errorf("%s: %w", *header, err)
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		path := filepath.Join(*out, name)
		if old, err := os.ReadFile(path); err == nil && string(old) == string(files[name]) {
			continue // leave the file and its mtime alone
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}
