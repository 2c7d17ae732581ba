package vmtest

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// HostBinary returns the initramfs files (guest path → host path, the form
// of Config.Files) that run the host program at path, such as /usr/bin/ip
// or /usr/bin/strace, in a VM: the program itself, the shared libraries
// ldd lists and the ELF interpreter, each at the path the program asks
// for, with the content of the file a host symbolic link points to. A
// static program needs only itself.
func HostBinary(path string) (map[string]string, error) {
	if !filepath.IsAbs(path) {
		return nil, fmt.Errorf("vmtest: host binary %q: path must be absolute", path)
	}
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vmtest: host binary %s: %w", path, err)
	}
	dynamic := false
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			dynamic = true
		}
	}
	f.Close()
	paths := []string{path}
	if dynamic {
		out, err := exec.Command("ldd", path).Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) && len(ee.Stderr) > 0 {
				err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(ee.Stderr))
			}
			return nil, fmt.Errorf("vmtest: host binary %s: ldd: %w", path, err)
		}
		libs, err := parseLdd(out)
		if err != nil {
			return nil, fmt.Errorf("vmtest: host binary %s: %w", path, err)
		}
		paths = append(paths, libs...)
	}
	files := make(map[string]string, len(paths))
	for _, p := range paths {
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil, fmt.Errorf("vmtest: host binary %s: %w", path, err)
		}
		files[p] = real
	}
	return files, nil
}

// parseLdd returns the absolute paths in ldd's output: each library after
// "=>" and the interpreter. The vDSO has no file and is skipped; a library
// ldd could not find is an error.
func parseLdd(out []byte) ([]string, error) {
	var paths []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 3 && f[1] == "=>" && f[2] == "not":
			return nil, fmt.Errorf("ldd: shared library %s not found", f[0])
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			paths = append(paths, f[2])
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			paths = append(paths, f[0]) // the interpreter
		}
	}
	return paths, sc.Err()
}
