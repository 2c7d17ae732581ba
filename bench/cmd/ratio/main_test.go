package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const oursOut = `goos: linux
BenchmarkVsSeed/EncodeTunnelCreate-2   	12599120	        100.0 ns/op	 962.10 MB/s	       0 B/op	       0 allocs/op
BenchmarkVsSeed/EncodeTunnelCreate-2   	12599120	        120.0 ns/op	 962.10 MB/s	       0 B/op	       0 allocs/op
BenchmarkVsSeed/EncodeTunnelCreate-2   	12599120	        90.0 ns/op	 962.10 MB/s	       0 B/op	       0 allocs/op
BenchmarkVsSeed/DecodeDump1000-2       	    1226	   1000000 ns/op	 251.75 MB/s	  719664 B/op	    1012 allocs/op
BenchmarkVsSeed/ListSessions1000-2     	    1022	   1022369 ns/op	 249.44 MB/s	  719888 B/op	    1016 allocs/op
PASS
`

const seedOut = `BenchmarkVsSeed/EncodeTunnelCreate-2   	 1000000	      1600 ns/op	  60.44 MB/s	    1052 B/op	      14 allocs/op
BenchmarkVsSeed/EncodeTunnelCreate-2   	 1000000	      1500 ns/op	  60.44 MB/s	    1052 B/op	      14 allocs/op
BenchmarkVsSeed/DecodeDump1000-2       	     658	   2000000 ns/op	 126.40 MB/s	  835090 B/op	   28263 allocs/op
`

func write(t *testing.T, name, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRun(t *testing.T) {
	ours, seed := write(t, "ours.txt", oursOut), write(t, "seed.txt", seedOut)
	tests := []struct {
		name    string
		args    []string
		want    []string // substrings of the output, each on one line
		wantErr bool
	}{
		{
			name: "median",
			args: []string{ours, seed},
			want: []string{
				// median 100 ns against median 1550 ns: 15.5×, target met
				"VsSeed/EncodeTunnelCreate  100.0  1550.0  15.5×  0  14  0  1052  3/2  ≥15× ≤0 allocs: ok",
				// 2× and 1012 allocs for 1000 sessions: missed
				"VsSeed/DecodeDump1000  1000000.0  2000000.0  2.0×  1012  28263",
				"≥8× ≤1000 allocs: MISSED",
				"unpaired nl2tp: BenchmarkVsSeed/ListSessions1000",
			},
		},
		{
			name: "min",
			args: []string{"-stat", "min", ours, seed},
			want: []string{"VsSeed/EncodeTunnelCreate  90.0  1500.0  16.7×"},
		},
		{name: "check fails on a miss", args: []string{"-check", ours, seed}, wantErr: true},
		{name: "one file", args: []string{ours}, wantErr: true},
		{name: "bad stat", args: []string{"-stat", "mean", ours, seed}, wantErr: true},
		{name: "no results", args: []string{ours, write(t, "empty.txt", "PASS\n")}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(tt.args, &out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("run: got error %v, want error %v", err, tt.wantErr)
			}
			// Collapse the table's padding so that the test does not
			// depend on column widths.
			got := strings.Join(strings.Fields(strings.ReplaceAll(out.String(), "\n", " \n ")), " ")
			for _, w := range tt.want {
				w = strings.Join(strings.Fields(w), " ")
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
