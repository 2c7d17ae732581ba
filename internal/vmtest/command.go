package vmtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/nl2tp/nl2tp/internal/vmtest/guest"
)

// BuildInit builds the rig's /init program (internal/vmtest/cmd/vminit) as
// a static binary at out. root is the module root.
func BuildInit(ctx context.Context, root, out string) error {
	return Build(ctx, root, "./internal/vmtest/cmd/vminit", out)
}

// RunCommand boots cfg.Kernel with cfg.Init, which must be the rig's /init
// (see BuildInit), running the one command cmd with the console as its
// standard streams, after loading cfg.Modules; then the VM powers off. It
// returns the command's exit status. cfg.Files, cfg.Data and cfg.Symlinks
// supply the programs and files the command needs, such as
//
//	Files:    map[string]string{"/bin/busybox": "/bin/busybox", "/bin/nl2tp": nl2tpBinary},
//	Symlinks: map[string]string{"/bin/sh": "busybox"},
//
// The error is non-nil when the VM failed (panic, timeout) or the command
// never reported its status.
func RunCommand(ctx context.Context, cfg *Config, cmd guest.Command) (int, *Result, error) {
	if len(cmd.Argv) == 0 {
		return -1, nil, errors.New("vmtest: run command: Argv is empty")
	}
	b, err := json.Marshal(cmd)
	if err != nil {
		return -1, nil, fmt.Errorf("vmtest: %w", err)
	}
	c := *cfg
	c.Data = map[string][]byte{guest.CommandConfig: b}
	for k, v := range cfg.Data {
		c.Data[k] = v
	}
	w := &exitWatcher{out: cfg.Console, code: -1}
	if w.out == nil {
		w.out = io.Discard
	}
	c.Console = w
	res, err := Boot(ctx, &c)
	w.mu.Lock()
	code, problem := w.code, w.problem
	w.mu.Unlock()
	if err != nil {
		return code, res, err
	}
	if code < 0 {
		if problem != "" {
			return code, res, fmt.Errorf("vmtest: /init: %s", problem)
		}
		return code, res, errors.New("vmtest: the command's exit status never came back")
	}
	return code, res, nil
}

// exitWatcher passes the console on and picks out the command's exit
// status. Boot writes it whole lines.
type exitWatcher struct {
	mu      sync.Mutex
	out     io.Writer
	code    int
	problem string
}

func (w *exitWatcher) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, guest.MarkCommandExit+" "); ok {
			if code, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				w.code = code
			}
		}
		if v, ok := strings.CutPrefix(l, guest.MarkError+" "); ok && w.problem == "" {
			w.problem = v
		}
	}
	return w.out.Write(b)
}
