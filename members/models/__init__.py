from members.models.identifiers import SensitiveIdentifier
from members.models.keys import DecryptionFailure, KeyCanary
from members.models.learning import Certification, Complaint, Course, Enrollment, Payment, PaymentMethod
from members.models.member import Member

__all__ = [
    "Certification",
    "Complaint",
    "Course",
    "DecryptionFailure",
    "Enrollment",
    "KeyCanary",
    "Member",
    "Payment",
    "PaymentMethod",
    "SensitiveIdentifier",
]
