package main

import (
	"strings"
	_ "unsafe" // for go:linkname
)

// modinfo is the module information the linker embeds in the binary, the
// string runtime/debug.ReadBuildInfo parses. The runtime provides it under
// this name (it marks its definition with go:linkname for runtime/debug),
// which lets nl2tp read its version without runtime/debug: ReadBuildInfo's
// parser uses fmt, which would add about 200 KB to the static binary.
//
//go:linkname modinfo runtime/debug.modinfo
func modinfo() string

// version is the main module's version as debug.ReadBuildInfo reports it
// (bi.Main.Version), or "(devel)" if the binary has none.
func version() string {
	if v := mainVersion(modinfo()); v != "" {
		return v
	}
	return "(devel)"
}

// mainVersion returns the version field of the "mod" line of a modinfo
// string (between its 16-byte sentinels), or "" if there is none.
func mainVersion(data string) string {
	if len(data) < 32 {
		return ""
	}
	data = data[16 : len(data)-16]
	for data != "" {
		var line string
		line, data, _ = strings.Cut(data, "\n")
		if rest, ok := strings.CutPrefix(line, "mod\t"); ok {
			elem := strings.Split(rest, "\t")
			if len(elem) != 2 && len(elem) != 3 {
				return ""
			}
			return elem[1]
		}
	}
	return ""
}
