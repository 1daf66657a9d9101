from members.models.identifiers import SensitiveIdentifier, SensitiveIdentifierBasis, SensitiveIdentifierCorrection
from members.models.keys import DecryptionFailure, KeyCanary
from members.models.learning import Certification, Complaint, Course, Enrollment, Payment, PaymentMethod
from members.models.member import Member, MemberTaken
from members.models.sessions import MemberSession
from members.models.staff_access import StaffAccessChange

__all__ = [
    "Certification",
    "Complaint",
    "Course",
    "DecryptionFailure",
    "Enrollment",
    "KeyCanary",
    "Member",
    "MemberSession",
    "MemberTaken",
    "Payment",
    "PaymentMethod",
    "SensitiveIdentifier",
    "SensitiveIdentifierBasis",
    "SensitiveIdentifierCorrection",
    "StaffAccessChange",
]
