// Package static holds the test that builds nl2tp as "make static" does and
// checks that the result is a static executable. It lives apart from
// cmd/nl2tp so that the kernel suite, which runs cmd/nl2tp's tests inside a
// VM with no Go toolchain, has no test to skip.
package static
