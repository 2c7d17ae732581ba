// Package vmtest boots Debian kernels under qemu with a Go program as /init,
// to run the kernel tests against real L2TP on several kernel lines. It
// fetches and caches the kernels (Fetch), packs an initramfs, boots qemu
// with TCG and no network device (Boot), and runs test binaries in the VM,
// counting their results (RunSuite). The /init side is package guest.
package vmtest

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nl2tp/nl2tp/internal/vmtest/guest"
)

// A Config says what to boot.
type Config struct {
	Kernel *Kernel
	// Init is the host path of a static binary that becomes /init.
	Init string
	// Files are copied into the initramfs: guest path → host path. A host
	// folder is copied with all it holds.
	Files map[string]string
	// Data are files to create in the initramfs: guest path → contents.
	Data map[string][]byte
	// Symlinks are symbolic links to create: guest path → target.
	Symlinks map[string]string
	// Modules are kernel modules to put in the initramfs, with their
	// dependencies, listed in guest.ModuleList for guest.Setup to load.
	Modules []string
	// Args are passed to /init. The kernel's command line carries them, so
	// they must not hold spaces or quotes.
	Args []string
	// Timeout bounds the whole boot; zero means 10 minutes.
	Timeout time.Duration
	// Console receives the VM's serial console, line by line, without
	// carriage returns. Nil discards it.
	Console io.Writer
	// MemoryMB and CPUs size the VM; zero means 1024 MiB and 2 CPUs.
	MemoryMB, CPUs int
	// Verbose keeps the kernel's boot messages on the console.
	Verbose bool
	// Gzip compresses the initramfs.
	Gzip bool
}

// A Result tells how a boot ended.
type Result struct {
	// PoweredOff is true when the kernel printed its power-down message.
	PoweredOff bool
	// Panic holds the kernel's panic line, if it panicked.
	Panic string
	// TimedOut is true when the VM was killed at the timeout.
	TimedOut bool
	// Elapsed is the wall time from starting qemu until it exited.
	Elapsed time.Duration
	// KernelWarnings holds the kernel's WARNING, BUG and Oops lines.
	KernelWarnings []string
	// FirstOutput is the time from starting qemu to the first console
	// line that /init printed (the first line that is not a kernel
	// message), a measure of boot time.
	FirstOutput time.Duration
}

// Boot boots cfg.Kernel with cfg.Init as /init and waits until the VM powers
// off. It returns an error, with the Result, if the kernel panicked, the VM
// timed out, qemu failed or the VM ended without powering off.
func Boot(ctx context.Context, cfg *Config) (*Result, error) {
	if cfg.Kernel == nil || cfg.Init == "" {
		return nil, errors.New("vmtest: boot: Kernel and Init are required")
	}
	for _, a := range cfg.Args {
		if a == "" || strings.ContainsAny(a, " \t\n\"'") {
			return nil, fmt.Errorf("vmtest: boot: init argument %q must be non-empty, without spaces or quotes", a)
		}
	}
	tmp, err := os.MkdirTemp("", "vmtest-")
	if err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	defer os.RemoveAll(tmp)
	initrd := filepath.Join(tmp, "initrd.cpio")
	if err := writeInitramfs(initrd, cfg); err != nil {
		return nil, err
	}

	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	mem, cpus := cfg.MemoryMB, cfg.CPUs
	if mem == 0 {
		mem = 1024
	}
	if cpus == 0 {
		cpus = 2
	}
	cmdline := []string{"console=ttyS0", "panic=-1", "oops=panic", "nokaslr", "mitigations=off"}
	if !cfg.Verbose {
		cmdline = append(cmdline, "quiet")
	}
	if len(cfg.Args) > 0 {
		cmdline = append(cmdline, "--")
		cmdline = append(cmdline, cfg.Args...)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64",
		"-accel", "tcg",
		"-nic", "none",
		"-nodefaults",
		"-display", "none",
		"-serial", "stdio",
		"-monitor", "none",
		"-no-reboot",
		"-m", fmt.Sprint(mem),
		"-smp", fmt.Sprint(cpus),
		"-kernel", cfg.Kernel.Vmlinuz,
		"-initrd", initrd,
		"-append", strings.Join(cmdline, " "),
	)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	console := cfg.Console
	if console == nil {
		console = io.Discard
	}
	res := &Result{}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("vmtest: starting qemu: %w", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := bufio.NewReaderSize(out, 1<<16)
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				line = strings.TrimRight(line, "\r\n")
				line = strings.ReplaceAll(line, "\r", "")
				if res.FirstOutput == 0 && !isKernelMessage(line) && line != "" {
					res.FirstOutput = time.Since(start)
				}
				if strings.Contains(line, "Kernel panic - not syncing") && res.Panic == "" {
					res.Panic = strings.TrimSpace(line)
				}
				if isKernelMessage(line) && (strings.Contains(line, "WARNING:") || strings.Contains(line, "BUG:") || strings.Contains(line, "Oops")) {
					res.KernelWarnings = append(res.KernelWarnings, strings.TrimSpace(line))
				}
				if strings.Contains(line, "reboot: Power down") {
					res.PoweredOff = true
				}
				io.WriteString(console, line+"\n")
			}
			if err != nil {
				return
			}
		}
	}()
	wg.Wait()
	werr := cmd.Wait()
	res.Elapsed = time.Since(start)
	if ctx.Err() == context.DeadlineExceeded {
		res.TimedOut = true
	}
	switch {
	case res.Panic != "":
		return res, fmt.Errorf("vmtest: kernel %s panicked: %s", cfg.Kernel.Release, res.Panic)
	case res.TimedOut:
		return res, fmt.Errorf("vmtest: kernel %s: VM timed out after %v", cfg.Kernel.Release, timeout)
	case werr != nil:
		return res, fmt.Errorf("vmtest: qemu: %v: %s", werr, strings.TrimSpace(stderr.String()))
	case !res.PoweredOff:
		return res, fmt.Errorf("vmtest: kernel %s: VM stopped without powering off: %s", cfg.Kernel.Release, strings.TrimSpace(stderr.String()))
	}
	return res, nil
}

// isKernelMessage tells the kernel's console lines ("[    1.234] ...")
// from those of user space.
func isKernelMessage(line string) bool {
	return strings.HasPrefix(line, "[") && strings.Contains(line, "]")
}

// writeInitramfs packs /init, the modules, the files and the data.
func writeInitramfs(dst string, cfg *Config) error {
	f, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("vmtest: %w", err)
	}
	defer f.Close()
	var w io.Writer = f
	var gz io.WriteCloser
	if cfg.Gzip {
		gz = newGzipWriter(f)
		w = gz
	}
	c := newCPIOWriter(w)
	for _, d := range []string{"dev", "proc", "sys", "tmp", "run", "root", "etc", "bin"} {
		c.Dir(d, 0o755)
	}
	c.CharDev("dev/console", 0o600, 5, 1)
	c.CharDev("dev/null", 0o666, 1, 3)
	if err := addHostFile(c, "init", cfg.Init); err != nil {
		return err
	}
	if len(cfg.Modules) > 0 {
		mods, err := ResolveModules(cfg.Kernel, cfg.Modules)
		if err != nil {
			return err
		}
		var list strings.Builder
		for _, m := range mods {
			g := path.Join("/lib/modules", cfg.Kernel.Release, filepath.Base(m.Path))
			if err := addHostFile(c, g, m.Path); err != nil {
				return err
			}
			list.WriteString(g + "\n")
		}
		c.Bytes(guest.ModuleList, 0o644, []byte(list.String()))
	}
	for _, g := range sortedKeys(cfg.Files) {
		if err := addHostTree(c, g, cfg.Files[g]); err != nil {
			return err
		}
	}
	for _, g := range sortedKeys(cfg.Data) {
		c.Bytes(g, 0o644, cfg.Data[g])
	}
	for _, g := range sortedKeys(cfg.Symlinks) {
		c.Symlink(g, cfg.Symlinks[g])
	}
	if err := c.Close(); err != nil {
		return fmt.Errorf("vmtest: writing initramfs: %w", err)
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return fmt.Errorf("vmtest: writing initramfs: %w", err)
		}
	}
	return f.Close()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// addHostFile copies one host file, keeping its permission bits.
func addHostFile(c *cpioWriter, guestPath, hostPath string) error {
	f, err := os.Open(hostPath)
	if err != nil {
		return fmt.Errorf("vmtest: initramfs: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("vmtest: initramfs: %w", err)
	}
	c.File(guestPath, fi.Mode().Perm(), fi.Size(), f)
	return c.err
}

// addHostTree copies a host file, or a folder and all it holds.
func addHostTree(c *cpioWriter, guestPath, hostPath string) error {
	return filepath.WalkDir(hostPath, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("vmtest: initramfs: %w", err)
		}
		rel, err := filepath.Rel(hostPath, p)
		if err != nil {
			return err
		}
		g := path.Join(guestPath, filepath.ToSlash(rel))
		switch {
		case d.IsDir():
			c.Dir(g, 0o755)
			return c.err
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return fmt.Errorf("vmtest: initramfs: %w", err)
			}
			c.Symlink(g, target)
			return c.err
		case d.Type().IsRegular():
			return addHostFile(c, g, p)
		}
		return nil
	})
}

func newGzipWriter(w io.Writer) io.WriteCloser {
	gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed) // the level is valid
	return gz
}
