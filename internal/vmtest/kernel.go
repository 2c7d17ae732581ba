package vmtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Lines maps the kernel lines the suite runs on to the Debian meta package
// that names the current image of each line.
var Lines = map[string]string{
	"6.1":  "linux-image-cloud-amd64",
	"6.12": "linux-image-6.12-cloud-amd64",
}

// LineNames returns the known kernel lines, oldest first.
func LineNames() []string {
	names := make([]string, 0, len(Lines))
	for n := range Lines {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return versionLess(names[i], names[j]) })
	return names
}

// versionLess orders dotted numeric versions ("6.1" < "6.12").
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		var x, y int
		fmt.Sscan(as[i], &x)
		fmt.Sscan(bs[i], &y)
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}

// A Kernel is a Debian kernel image package unpacked in the cache.
type Kernel struct {
	Line    string // "6.1", "6.12"
	Package string // linux-image-6.1.0-57-cloud-amd64
	Version string // Debian package version, 6.1.192-3
	Dir     string // where the package is unpacked
	Release string // uname -r, the name of the lib/modules folder
	Vmlinuz string // path of the kernel image
}

// ModulesDir is the kernel's /lib/modules/<release> folder in the cache.
func (k *Kernel) ModulesDir() string {
	return filepath.Join(k.Dir, "lib", "modules", k.Release)
}

// Fetch returns the current kernel of line (see Lines), downloading it with
// apt-get and unpacking it with dpkg-deb into cacheDir/kernels when it is
// not there yet. Progress goes to log. The package is resolved from the
// line's meta package each time; when apt does not know it or cannot
// download it, Fetch runs apt-get update once and tries again.
//
// When apt can neither resolve nor update (offline, not root), Fetch falls
// back to a kernel of the line already in the cache.
func Fetch(ctx context.Context, cacheDir, line string, log io.Writer) (*Kernel, error) {
	meta, ok := Lines[line]
	if !ok {
		return nil, fmt.Errorf("vmtest: unknown kernel line %q (known: %s)", line, strings.Join(LineNames(), ", "))
	}
	k, err := fetch(ctx, cacheDir, line, meta, log)
	if err == nil {
		return k, nil
	}
	// The package lists may be missing or stale (the candidate gone from
	// the mirror): update them once and try again.
	fmt.Fprintf(log, "vmtest: %v; running apt-get update\n", err)
	if uerr := aptUpdate(ctx); uerr != nil {
		if c, cerr := Cached(cacheDir, line); cerr == nil {
			fmt.Fprintf(log, "vmtest: %v; using the cached %s\n", uerr, c.Package)
			return c, nil
		}
		return nil, fmt.Errorf("%w; %v", err, uerr)
	}
	return fetch(ctx, cacheDir, line, meta, log)
}

var aptUpdated struct {
	sync.Mutex
	done bool
	err  error
}

// aptUpdate runs apt-get update once per process; concurrent callers
// wait for it and share its result.
func aptUpdate(ctx context.Context) error {
	aptUpdated.Lock()
	defer aptUpdated.Unlock()
	if !aptUpdated.done {
		if out, err := exec.CommandContext(ctx, "apt-get", "update", "-q").CombinedOutput(); err != nil {
			aptUpdated.err = fmt.Errorf("apt-get update: %v\n%s", err, out)
		}
		aptUpdated.done = true
	}
	return aptUpdated.err
}

func fetch(ctx context.Context, cacheDir, line, meta string, log io.Writer) (*Kernel, error) {
	pkg, version, err := resolve(ctx, meta)
	if err != nil {
		return nil, fmt.Errorf("vmtest: resolving %s: %w", meta, err)
	}
	kernels := filepath.Join(cacheDir, "kernels")
	dir := filepath.Join(kernels, pkg+"_"+version)
	k := &Kernel{Line: line, Package: pkg, Version: version, Dir: dir}
	if err := k.complete(); err == nil {
		return k, nil
	}
	if err := os.MkdirAll(kernels, 0o755); err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	debs := filepath.Join(cacheDir, "debs")
	if err := os.MkdirAll(debs, 0o755); err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	// Download and unpack into private folders, then rename into place,
	// so that runs sharing the cache do not trip over each other.
	deb, err := findDeb(debs, pkg, version)
	if err != nil {
		fmt.Fprintf(log, "vmtest: downloading %s=%s\n", pkg, version)
		dl, err := os.MkdirTemp(debs, ".download-")
		if err != nil {
			return nil, fmt.Errorf("vmtest: %w", err)
		}
		defer os.RemoveAll(dl)
		cmd := exec.CommandContext(ctx, "apt-get", "download", "-q", pkg+"="+version)
		cmd.Dir = dl
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("vmtest: apt-get download %s=%s: %v\n%s", pkg, version, err, out)
		}
		got, err := findDeb(dl, pkg, version)
		if err != nil {
			return nil, err
		}
		deb = filepath.Join(debs, filepath.Base(got))
		if err := os.Rename(got, deb); err != nil {
			return nil, fmt.Errorf("vmtest: %w", err)
		}
	}
	fmt.Fprintf(log, "vmtest: unpacking %s\n", filepath.Base(deb))
	tmp, err := os.MkdirTemp(kernels, ".unpack-")
	if err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	defer os.RemoveAll(tmp)
	if out, err := exec.CommandContext(ctx, "dpkg-deb", "-x", deb, tmp).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("vmtest: dpkg-deb -x %s: %v\n%s", deb, err, out)
	}
	if err := k.complete(); err == nil {
		return k, nil // another run finished first
	}
	os.RemoveAll(dir) // an incomplete earlier unpack
	if err := os.Rename(tmp, dir); err != nil {
		if k.complete() == nil {
			return k, nil
		}
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	if err := k.complete(); err != nil {
		return nil, err
	}
	return k, nil
}

// complete fills in Release and Vmlinuz from an unpacked package, or says
// what is missing.
func (k *Kernel) complete() error {
	mods, err := os.ReadDir(filepath.Join(k.Dir, "lib", "modules"))
	if err != nil {
		return fmt.Errorf("vmtest: kernel %s: %w", k.Package, err)
	}
	if len(mods) != 1 {
		return fmt.Errorf("vmtest: kernel %s: want one folder in lib/modules, found %d", k.Package, len(mods))
	}
	k.Release = mods[0].Name()
	k.Vmlinuz = filepath.Join(k.Dir, "boot", "vmlinuz-"+k.Release)
	if _, err := os.Stat(k.Vmlinuz); err != nil {
		return fmt.Errorf("vmtest: kernel %s: %w", k.Package, err)
	}
	return nil
}

// findDeb finds the downloaded .deb of pkg at version in dir. apt-get
// download escapes ':' in versions as %3a.
func findDeb(dir, pkg, version string) (string, error) {
	name := pkg + "_" + strings.ReplaceAll(version, ":", "%3a") + "_amd64.deb"
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("vmtest: %s not downloaded: %w", name, err)
	}
	return p, nil
}

// resolve finds the image package the meta package depends on, and its
// candidate version.
func resolve(ctx context.Context, meta string) (pkg, version string, err error) {
	out, err := exec.CommandContext(ctx, "apt-cache", "depends", meta).Output()
	if err != nil {
		return "", "", fmt.Errorf("apt-cache depends %s: %w", meta, err)
	}
	pkg, err = parseDepends(out)
	if err != nil {
		return "", "", fmt.Errorf("apt-cache depends %s: %w", meta, err)
	}
	out, err = exec.CommandContext(ctx, "apt-cache", "policy", pkg).Output()
	if err != nil {
		return "", "", fmt.Errorf("apt-cache policy %s: %w", pkg, err)
	}
	version, err = parseCandidate(out)
	if err != nil {
		return "", "", fmt.Errorf("apt-cache policy %s: %w", pkg, err)
	}
	return pkg, version, nil
}

// parseDepends returns the linux-image package among the Depends lines of
// apt-cache depends output.
func parseDepends(out []byte) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && (f[0] == "Depends:" || f[0] == "|Depends:") && strings.HasPrefix(f[1], "linux-image-") {
			return f[1], nil
		}
	}
	return "", errors.New("no linux-image dependency")
}

// parseCandidate returns the Candidate version of apt-cache policy output.
func parseCandidate(out []byte) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "Candidate:" {
			if f[1] == "(none)" {
				break
			}
			return f[1], nil
		}
	}
	return "", errors.New("no candidate version")
}

// Cached returns the newest kernel of line unpacked in cacheDir/kernels,
// without asking apt.
func Cached(cacheDir, line string) (*Kernel, error) {
	if _, ok := Lines[line]; !ok {
		return nil, fmt.Errorf("vmtest: unknown kernel line %q (known: %s)", line, strings.Join(LineNames(), ", "))
	}
	dirs, _ := filepath.Glob(filepath.Join(cacheDir, "kernels", "linux-image-*_*"))
	var best *Kernel
	for _, d := range dirs {
		pkg, version, _ := strings.Cut(filepath.Base(d), "_")
		k := &Kernel{Line: line, Package: pkg, Version: version, Dir: d}
		if k.complete() != nil || !strings.HasPrefix(k.Release, line+".") {
			continue
		}
		if best == nil || versionLess(best.Version, k.Version) {
			best = k
		}
	}
	if best == nil {
		return nil, fmt.Errorf("vmtest: no %s kernel in %s", line, filepath.Join(cacheDir, "kernels"))
	}
	return best, nil
}
