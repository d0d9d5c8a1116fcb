import Pipeline

/// The lecture's claims (papers/gradient-estimators-lecture-duvenaud-2018.md).
public enum LectureClaims {
    public static let all: [any Claim] = [LectureReinforce(), LectureReparam(), LectureConcrete(), LectureControlVariates()]
}
