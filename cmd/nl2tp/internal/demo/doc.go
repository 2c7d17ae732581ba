// Package demo is the scripted nl2tp demonstration that "make demo" runs
// in a VM of the test rig (internal/vmtest): two network namespaces joined
// by a veth pair, an L2TPv3 tunnel and an Ethernet session in each made
// with the nl2tp binary, traffic through the pseudowire, the counters
// rising in "nl2tp -s show session", "nl2tp monitor" printing the events,
// and teardown.
//
// The scenario is TestDemo, which runs only inside the demo VM
// (NL2TP_DEMO=1) and skips anywhere else; ./run is the host program that
// builds the binaries and boots the VM.
package demo
