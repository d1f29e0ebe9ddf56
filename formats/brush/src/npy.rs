//! NumPy `.npy` v1.0 files of a uint8 H×W array, byte-identical to `np.save` (NumPy 2.2).

/// Bytes of `np.save` for a C-order uint8 array of `shape` holding `data`.
pub fn npy(shape: (usize, usize), data: &[u8]) -> Vec<u8> {
    let (h, w) = shape;
    let mut header = format!("{{'descr': '|u1', 'fortran_order': False, 'shape': ({h}, {w}), }}");
    // NumPy leaves room for the first axis to grow to 21 digits.
    let digits = h.to_string().len();
    header.push_str(&" ".repeat(21usize.saturating_sub(digits)));
    // magic (6) + version (2) + length (2) + header + '\n', padded to 64 bytes (a full 64 when
    // already aligned, as NumPy does).
    let hlen = header.len() + 1;
    let pad = 64 - ((10 + hlen) % 64);
    let total = header.len() + pad + 1;
    let mut out = Vec::with_capacity(10 + total + data.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(total as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.resize(out.len() + pad, b' ');
    out.push(b'\n');
    out.extend_from_slice(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_like_numpy() {
        // python -c "import numpy as np, io; b=io.BytesIO(); np.save(b, np.zeros((54,96),'u1')); print(b.getvalue()[:128])"
        let b = npy((54, 96), &[0; 54 * 96]);
        assert_eq!(&b[..10], b"\x93NUMPY\x01\x00\x76\x00");
        assert_eq!(b.len(), 128 + 54 * 96);
        assert_eq!(b[127], b'\n');
        assert!(b[..128].starts_with(b"\x93NUMPY\x01\x00\x76\x00{'descr': '|u1', 'fortran_order': False, 'shape': (54, 96), }"));
    }
}
