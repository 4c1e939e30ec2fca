"""Primality of JavaScript numbers, for the DataTable's `is prime`: one number
(`is_prime`, the reference) and whole columns at once (`primes`, vectorised)."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa


def is_prime(number: float) -> bool:
    """checkPrimality() for JS numbers, without its trial division on big integers."""
    if number == 2:
        return True
    if number < 2 or math.fmod(number, 2) == 0:
        return False
    if not number.is_integer():
        return True  # no odd integer divides a fraction: the JS loop finds nothing
    n = int(number)
    small = (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)
    if n in small:
        return True
    if any(n % p == 0 for p in small):
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in small:  # deterministic Miller-Rabin below 3.3e24 (odd n < 2**53 here)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def primes(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """`is_prime` of each number (null: False): whole odd numbers by a vectorised
    Miller-Rabin test, fractions and the rest by their sign and parity."""
    numbers = values.to_numpy(zero_copy_only=False)  # NaN where null
    with np.errstate(invalid="ignore"):
        result = numbers == 2
        odd = (numbers > 2) & (np.fmod(numbers, 2) != 0)
        fraction = odd & (numbers != np.floor(numbers))
    result |= fraction
    whole = odd & ~fraction  # odd integers below 2**53 (larger floats are even)
    if whole.any():
        distinct, where = np.unique(
            numbers[whole].astype(np.uint64), return_inverse=True
        )
        result[whole] = _odd_primes(distinct)[where]
    return result


_SMALL_PRIMES = (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61)
# Deterministic Miller-Rabin bases: below 4,759,123,141; below 2**64 (Sinclair).
_FEW_BASES, _BASES = (2, 7, 61), (2, 325, 9375, 28178, 450775, 9780504, 1795265022)


def _odd_primes(n: np.ndarray) -> np.ndarray:
    """Which of the odd integers `n` (3 <= n < 2**53, uint64) are prime."""
    prime = np.ones(len(n), dtype=bool)
    for p in _SMALL_PRIMES:  # trial division settles most composites cheaply
        prime &= (n % p != 0) | (n == p)
    # What it left above 61**2 may still be composite: Miller-Rabin decides.
    unsure = np.flatnonzero(prime & (n > _SMALL_PRIMES[-1] ** 2))
    if len(unsure):
        candidates = n[unsure]
        bases = _FEW_BASES if candidates.max() < 4_759_123_141 else _BASES
        for base in bases:
            if not len(candidates):
                break
            composite = ~_strong_probable_prime(candidates, base)
            prime[unsure[composite]] = False
            unsure, candidates = unsure[~composite], candidates[~composite]
    return prime


def _strong_probable_prime(n: np.ndarray, base: int) -> np.ndarray:
    """Whether each odd `n` passes Miller-Rabin's test to `base`."""
    one = np.ones(len(n), dtype=np.uint64)
    minus_one = n - one
    d, s = minus_one.copy(), np.zeros(len(n), dtype=np.int64)
    while True:
        even = (d & one) == 0
        if not even.any():
            break
        d[even] >>= one[even]
        s[even] += 1
    a = np.uint64(base) % n
    trivial = a == 0  # the base is a multiple of n: it says nothing
    x = _power(a, d, n)
    passed = trivial | (x == one) | (x == minus_one)
    for round_ in range(1, int(s.max())):
        x = _multiply(x, x, n)
        passed |= (x == minus_one) & (round_ < s)
    return passed


def _power(base: np.ndarray, exponent: np.ndarray, n: np.ndarray) -> np.ndarray:
    """`base ** exponent % n` elementwise (square and multiply)."""
    result = np.ones(len(n), dtype=np.uint64)
    base, exponent = base.copy(), exponent.copy()
    one = np.uint64(1)
    while exponent.any():
        odd = (exponent & one) == one
        result = np.where(odd, _multiply(result, base, n), result)
        base = _multiply(base, base, n)
        exponent >>= one
    return result


def _multiply(a: np.ndarray, b: np.ndarray, n: np.ndarray) -> np.ndarray:
    """`a * b % n` for uint64 a, b < n < 2**53, whose product overflows 64 bits.

    The quotient from floats is off by at most a few units: the remainder computed
    with wrapping 64-bit arithmetic is then exact up to those few multiples of n."""
    quotient = np.floor(a.astype(np.float64) * b.astype(np.float64) / n).astype(
        np.uint64
    )
    rest = (a * b - quotient * n).view(np.int64)  # exact modulo 2**64
    size = n.view(np.int64)
    while (low := rest < 0).any():
        rest[low] += size[low]
    while (high := rest >= size).any():
        rest[high] -= size[high]
    return rest.view(np.uint64)
