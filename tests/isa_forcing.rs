//! `GUMBEL_ISA` forces one path for the whole process; `.ci/run` runs this test once per
//! ISA so that a forced run can never pass on another path.

use gumbel::simd::{Isa, with_isa};

#[test]
fn forced_isa_is_the_active_one() {
    match std::env::var("GUMBEL_ISA") {
        Ok(name) if !name.trim().is_empty() => {
            let want: Isa = name.parse().unwrap();
            assert!(
                want.is_available(),
                "GUMBEL_ISA={name} but this CPU lacks it"
            );
            assert_eq!(
                Isa::active(),
                want,
                "GUMBEL_ISA={name} is not the active path"
            );
            // and the public functions really run there: a sample works
            let mut noise = [0.0f32; 100];
            gumbel::noise::fill_gumbel(1, 1, &mut noise);
            let logits = [0.0f32; 100];
            assert!(gumbel::gumbel_max(&logits, &noise, 1.0).unwrap() < 100);
            println!("forced ISA {want} active");
        }
        _ => assert_eq!(Isa::active(), Isa::best()),
    }
}

#[test]
fn with_isa_overrides_and_restores() {
    let before = Isa::active();
    for isa in Isa::available() {
        assert_eq!(with_isa(isa, Isa::active).unwrap(), isa);
        assert_eq!(Isa::active(), before);
    }
    // nested, and restored after a panic inside
    with_isa(Isa::Scalar, || {
        with_isa(Isa::Portable, || assert_eq!(Isa::active(), Isa::Portable)).unwrap();
        assert_eq!(Isa::active(), Isa::Scalar);
        let r = std::panic::catch_unwind(|| with_isa(Isa::Portable, || panic!("boom")));
        assert!(r.is_err());
        assert_eq!(Isa::active(), Isa::Scalar);
    })
    .unwrap();
    for isa in Isa::ALL {
        if !isa.is_available() {
            assert_eq!(
                with_isa(isa, || ()),
                Err(gumbel::Error::IsaUnavailable(isa))
            );
        }
    }
}

#[test]
fn isa_names_round_trip() {
    for isa in Isa::ALL {
        assert_eq!(isa.name().parse::<Isa>().unwrap(), isa);
        assert_eq!(isa.to_string(), isa.name());
    }
    assert!("sse9".parse::<Isa>().is_err());
}
