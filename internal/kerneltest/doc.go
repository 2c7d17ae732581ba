// Package kerneltest holds helpers for the tests that need a kernel with
// L2TP: in the test VMs of internal/vmtest, or on a host whose kernel has
// L2TP when the tests run as root.
package kerneltest
