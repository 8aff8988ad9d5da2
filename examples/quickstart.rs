//! A tour of the core API: `cargo run --release --example quickstart`.
//!
//! Every result is printed next to the formula it comes from, and checked against it.

use outerprod::{
    ger, kron, outer, outer_into, syr, vec_outer, MatMut, Rank1, ShapeError, Triangle, VecRef,
};

fn main() -> Result<(), ShapeError> {
    // 1. outer: the m×n matrix a bᵀ, element (i, j) = a[i]·b[j], row-major.
    let (a, b) = ([1, 2, 3], [4, 5, 6]);
    let m = outer(&a, &b);
    println!("outer(a, b) with a = {a:?}, b = {b:?}:\n{m}\n");
    assert_eq!(m[(2, 1)], a[2] * b[1]);

    // 2. outer_into: the same, written into a buffer you own (no allocation).
    let mut buf = [0.0; 6];
    outer_into(&mut buf, &[0.5, -1.0], &[2.0, 4.0, 8.0])?;
    println!("outer_into(buf, [0.5, -1], [2, 4, 8]) -> buf = {buf:?}\n");
    assert_eq!(buf, [1.0, 2.0, 4.0, -2.0, -4.0, -8.0]);
    // A buffer of the wrong size is an error that says what was wrong:
    let err = outer_into(&mut buf[..5], &[0.5, -1.0], &[2.0, 4.0, 8.0]).unwrap_err();
    println!("outer_into with a 5-element buffer: Err({err})\n");

    // 3. vec_outer vs kron: vec(abᵀ) stacks the columns of abᵀ, which is kron(b, a);
    //    the row-major flattening is kron(a, b). Neither is the elementwise product.
    let (a, b) = ([1, 2, 3], [10, 20]);
    let v = vec_outer(&a, &b);
    println!("a = {a:?}, b = {b:?}");
    println!("  vec(abᵀ)   = vec_outer(a, b) = {v:?}");
    println!("  kron(b, a)                   = {:?}", kron(&b, &a));
    println!("  kron(a, b) = row-major abᵀ   = {:?}", kron(&a, &b));
    let hadamard: Vec<i32> = a[..2].iter().zip(&b).map(|(x, y)| x * y).collect();
    println!("  elementwise a[..2]∘b         = {hadamard:?}  (a different thing)\n");
    assert_eq!(v, kron(&b, &a));

    // 4. Rank1: abᵀ as a lazy operator; (abᵀ)x = a(b·x) in O(m + n), nothing m×n is formed.
    let (a, b) = ([1.0, -2.0, 0.5], [3.0, 4.0]);
    let r = Rank1::new(&a, &b);
    let x = [1.0, 0.25];
    let y = r.apply(&x)?;
    println!("Rank1(a = {a:?}, b = {b:?}), a 3×2 operator");
    println!("  apply(x = {x:?})     = {y:?}   (= a·(b·x), b·x = 4)");
    println!(
        "  apply_transpose([1, 1, 1]) = {:?}",
        r.apply_transpose(&[1.0, 1.0, 1.0])?
    );
    println!(
        "  get(1, 0) = {}, trace = {}, ‖abᵀ‖_F = {:.4}",
        r.get(1, 0),
        r.trace(),
        r.frobenius_norm()
    );
    println!("  to_matrix():\n{:.2}\n", r.to_matrix());
    assert_eq!(y, [4.0, -8.0, 2.0]);

    // 5. ger on a strided view: A ← A + α x yᵀ on the top-right 2×2 block of a 3×4
    //    row-major buffer (lda = 4), with y read back to front (BLAS incy = -1).
    let mut data = [0.0; 12];
    let block = MatMut::new(&mut data, 2, 2, 2, 4, 1)?;
    let xs = [1.0, 2.0];
    let ys = [10.0, 100.0];
    let y_rev = VecRef::new(&ys, 1, 2, -1)?; // (100, 10)
    ger(0.5, VecRef::from(&xs), y_rev, block)?;
    println!(
        "ger(0.5, x = {xs:?}, y = {:?} (incy = -1), top-right 2×2 of a 3×4 zero matrix):",
        y_rev.to_vec()
    );
    for row in data.chunks(4) {
        println!("  {row:?}");
    }
    assert_eq!(data[2], 0.5 * xs[0] * ys[1]);
    assert_eq!(data[7], 0.5 * xs[1] * ys[0]);

    // 6. syr: the symmetric update A ← A + α x xᵀ touches one triangle only.
    let mut s = [0; 9];
    syr(
        1,
        VecRef::from(&[1, 2, 3]),
        MatMut::row_major(&mut s, 3, 3)?,
        Triangle::Lower,
    )?;
    println!("\nsyr(1, x = [1, 2, 3], zero 3×3, Lower):");
    for row in s.chunks(3) {
        println!("  {row:?}");
    }
    assert_eq!(s, [1, 0, 0, 2, 4, 0, 3, 6, 9]);
    Ok(())
}
