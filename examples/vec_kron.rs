//! The vec / Kronecker identities, with numbers: `cargo run --release --example vec_kron`.
//!
//! vec(M) stacks the columns of M (column-major flattening). For vectors a (length m) and
//! b (length n):
//!
//!   vec(abᵀ)             = kron(b, a)      element i + j·m is a[i]·b[j]
//!   row-major flat(abᵀ)  = kron(a, b)      element i·n + j is a[i]·b[j]
//!   unvec(vec(M))        = M
//!   vec(A X B)           = (Bᵀ ⊗ A) vec(X) (the identity behind vec-trick solvers)
//!
//! and none of these is the elementwise product [a₁b₁, a₂b₂, …].

use outerprod::{gemm, kron, kron_mat, outer, unvec, vec_outer, MatMut, Matrix, ShapeError};

fn main() -> Result<(), ShapeError> {
    let a = [1, 2, 3];
    let b = [10, 20];
    let m = outer(&a, &b);
    println!("a = {a:?}, b = {b:?}\nabᵀ =\n{m}\n");

    let v = vec_outer(&a, &b);
    println!("vec(abᵀ)  (columns stacked)   = {v:?}");
    println!("kron(b, a)                    = {:?}", kron(&b, &a));
    println!("row-major flattening of abᵀ   = {:?}", m.as_slice());
    println!("kron(a, b)                    = {:?}", kron(&a, &b));
    assert_eq!(v, kron(&b, &a));
    assert_eq!(m.as_slice(), kron(&a, &b));
    for i in 0..a.len() {
        for j in 0..b.len() {
            assert_eq!(v[i + j * a.len()], a[i] * b[j]);
        }
    }

    let p = [1, 2];
    let hadamard: Vec<i32> = p.iter().zip(&b).map(|(x, y)| x * y).collect();
    println!("\nnot the elementwise product: p = {p:?}, p∘b = {hadamard:?} (2 numbers),");
    println!("while vec(pbᵀ) = {:?} (4 numbers)", vec_outer(&p, &b));

    let back = unvec(&v, a.len(), b.len())?;
    println!("\nunvec(vec(abᵀ), 3, 2) =\n{back}");
    assert_eq!(back, m);

    // vec(A X B) = (Bᵀ ⊗ A) vec(X), checked with integers (exact).
    let a_mat = Matrix::from_rows(&[[1, 2], [3, 4]])?;
    let x_mat = Matrix::from_rows(&[[5, 6, 7], [8, 9, 10]])?;
    let b_mat = Matrix::from_rows(&[[1, 0], [2, 1], [0, 3]])?;
    let mut ax = Matrix::zeros(2, 3);
    gemm(1, a_mat.view(), x_mat.view(), 0, ax.view_mut())?;
    let mut axb = Matrix::zeros(2, 2);
    gemm(1, ax.view(), b_mat.view(), 0, axb.view_mut())?;
    let k = kron_mat(b_mat.transpose(), a_mat.view()); // 4×6
    let vx = x_mat.vec();
    let mut kvx = vec![0; 4];
    gemm(
        1,
        k.view(),
        outerprod::MatRef::col_major(&vx, 6, 1)?,
        0,
        MatMut::col_major(&mut kvx, 4, 1)?,
    )?;
    println!("\nA X B =\n{axb}\nvec(A X B)        = {:?}", axb.vec());
    println!("(Bᵀ ⊗ A) vec(X)   = {kvx:?}");
    assert_eq!(axb.vec(), kvx);
    Ok(())
}
