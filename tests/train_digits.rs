//! The digits training run of `examples/train_digits.rs` at reduced epochs: the loss falls and
//! the test accuracy beats 90 %.

#[path = "../examples/train_digits.rs"]
#[allow(dead_code)]
mod train_digits;

use train_digits::{load_digits, train, Config, CLASSES};

#[test]
fn data_matches_the_documented_split() {
    let d = load_digits().unwrap();
    assert_eq!(
        (d.x_train.shape(), d.x_test.shape()),
        ((1347, 64), (450, 64))
    );
    let counts = |y: &[usize]| {
        let mut c = [0usize; CLASSES];
        y.iter().for_each(|&l| c[l] += 1);
        c
    };
    // per-class counts stated in data/README.md (and stored in the split file)
    assert_eq!(
        counts(&d.y_train),
        [133, 136, 133, 137, 136, 136, 136, 134, 131, 135]
    );
    assert_eq!(counts(&d.y_test), [45, 46, 44, 46, 45, 46, 45, 45, 43, 45]);
    let all = d.x_train.as_slice().iter().chain(d.x_test.as_slice());
    assert!(all.clone().all(|&p| (0.0..=1.0).contains(&p)));
    assert!(all.clone().any(|&p| p == 1.0)); // pixel value 16 scaled by 1/16
}

#[test]
fn short_training_reduces_the_loss_and_beats_ninety_percent() {
    let data = load_digits().unwrap();
    let cfg = Config {
        hidden: 64,
        epochs: 4,
        ..Config::default()
    };
    let (_, history) = train(&data, &cfg, |_| {}).unwrap();
    assert_eq!(history.len(), 4);
    let losses: Vec<f32> = history.iter().map(|e| e.train_loss).collect();
    assert!(
        losses.windows(2).all(|w| w[1] < w[0]),
        "loss did not fall every epoch: {losses:?}"
    );
    assert!(losses[3] < 0.5 * losses[0], "{losses:?}");
    let acc = history[3].test_accuracy;
    assert!(acc > 0.90, "test accuracy {acc}");
}
