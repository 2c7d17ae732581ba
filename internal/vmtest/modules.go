package vmtest

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// TestModules are the kernel modules the kernel tests need. Their
// dependencies are added by ResolveModules.
var TestModules = []string{
	"udp_tunnel", "ip6_udp_tunnel",
	"l2tp_core", "l2tp_netlink", "l2tp_eth", "l2tp_ip", "l2tp_ip6",
	"veth", "nlmon",
}

// A Module is one loadable kernel module file.
type Module struct {
	Name string // normalised: '-' becomes '_'
	Path string // on the host
}

// Compressed reports whether the file is compressed, so that it must be
// loaded with MODULE_INIT_COMPRESSED_FILE.
func (m Module) Compressed() bool { return !strings.HasSuffix(m.Path, ".ko") }

func modName(file string) string {
	base := filepath.Base(file)
	for _, ext := range []string{".ko", ".ko.xz", ".ko.zst", ".ko.gz"} {
		if strings.HasSuffix(base, ext) {
			return strings.ReplaceAll(strings.TrimSuffix(base, ext), "-", "_")
		}
	}
	return ""
}

// ResolveModules returns the modules named and all they depend on, in an
// order in which they can be loaded, leaving out those built into the
// kernel. Dependencies are read from each module's .modinfo section
// (Debian's packages ship no modules.dep: depmod makes it at install time);
// compressed modules are read through xz, zstd or gzip.
func ResolveModules(k *Kernel, names []string) ([]Module, error) {
	dir := k.ModulesDir()
	builtin := map[string]bool{}
	if b, err := os.ReadFile(filepath.Join(dir, "modules.builtin")); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if n := modName(strings.TrimSpace(sc.Text())); n != "" {
				builtin[n] = true
			}
		}
	} else {
		return nil, fmt.Errorf("vmtest: kernel %s: %w", k.Release, err)
	}
	files := map[string]string{}
	err := filepath.WalkDir(filepath.Join(dir, "kernel"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if n := modName(p); n != "" && !d.IsDir() {
			files[n] = p
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("vmtest: kernel %s: %w", k.Release, err)
	}
	var order []Module
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string, from string) error
	visit = func(name, from string) error {
		name = strings.ReplaceAll(name, "-", "_")
		switch state[name] {
		case 1:
			return fmt.Errorf("vmtest: kernel %s: module dependency cycle at %s", k.Release, name)
		case 2:
			return nil
		}
		if builtin[name] {
			state[name] = 2
			return nil
		}
		p, ok := files[name]
		if !ok {
			if from != "" {
				return fmt.Errorf("vmtest: kernel %s: module %s (needed by %s) is neither built in nor in the package", k.Release, name, from)
			}
			return fmt.Errorf("vmtest: kernel %s: module %s is neither built in nor in the package", k.Release, name)
		}
		state[name] = 1
		deps, err := moduleDepends(p)
		if err != nil {
			return err
		}
		for _, d := range deps {
			if err := visit(d, name); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, Module{Name: name, Path: p})
		return nil
	}
	for _, n := range names {
		if err := visit(n, ""); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// moduleDepends reads the depends= entry of a module's .modinfo section.
func moduleDepends(path string) ([]string, error) {
	var data []byte
	var err error
	switch {
	case strings.HasSuffix(path, ".ko"):
		data, err = os.ReadFile(path)
	case strings.HasSuffix(path, ".xz"):
		data, err = exec.Command("xz", "-dc", path).Output()
	case strings.HasSuffix(path, ".zst"):
		data, err = exec.Command("zstd", "-dc", path).Output()
	case strings.HasSuffix(path, ".gz"):
		data, err = exec.Command("gzip", "-dc", path).Output()
	}
	if err != nil {
		return nil, fmt.Errorf("vmtest: reading module %s: %w", path, err)
	}
	deps, err := parseModinfoDepends(data)
	if err != nil {
		return nil, fmt.Errorf("vmtest: module %s: %w", path, err)
	}
	return deps, nil
}

// parseModinfoDepends returns the modules listed in the depends= entry of
// the .modinfo section of an ELF module image.
func parseModinfoDepends(image []byte) ([]string, error) {
	f, err := elf.NewFile(bytes.NewReader(image))
	if err != nil {
		return nil, err
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, fmt.Errorf("no .modinfo section")
	}
	info, err := sec.Data()
	if err != nil {
		return nil, err
	}
	for _, kv := range bytes.Split(info, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("depends=")); ok {
			var deps []string
			for _, d := range strings.Split(string(v), ",") {
				if d != "" {
					deps = append(deps, d)
				}
			}
			return deps, nil
		}
	}
	return nil, nil
}
